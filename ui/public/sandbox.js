// placeholder: the output sandbox frame script
