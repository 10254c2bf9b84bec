# Writes ipython-tracebacks.json (the palette contrast test's input): real
# IPython tracebacks in each colour scheme and mode. Run with the Python that
# has IPython: /usr/bin/python3 ipython-tracebacks.py > ipython-tracebacks.json
import json, sys, IPython
from IPython.core import ultratb
src = '''def mean(xs):
    total = sum(xs)  # add them up
    return total / len(xs)

values = []
print("mean:", mean(values))
'''
code = compile(src, "<cell-1>", "exec")
import linecache
linecache.cache["<cell-1>"] = (len(src), None, src.splitlines(True), "<cell-1>")
out = {"ipython": IPython.__version__, "tracebacks": {}}
for scheme in ["Linux", "LightBG", "Neutral"]:
    for mode in ["Context", "Verbose", "Plain", "Minimal"]:
        try:
            exec(code, {})
        except Exception:
            t = ultratb.AutoFormattedTB(mode=mode, color_scheme=scheme)
            out["tracebacks"][f"{scheme}/{mode}"] = t.text(*sys.exc_info()).replace(__file__, "/tmp/gen.py")
    try:
        compile("x = (1,\n", "<cell-2>", "exec")
    except SyntaxError:
        out["tracebacks"][f"{scheme}/SyntaxError"] = ultratb.SyntaxTB(color_scheme=scheme).text(*sys.exc_info())
json.dump(out, sys.stdout, indent=1)
