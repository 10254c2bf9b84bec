package contents

import (
	"mime"
	"path"
	"strings"
)

// mimeTypes answers the extensions Jupyter users meet most, with the
// values Python's mimetypes gives, so answers do not depend on the host's
// /etc/mime.types. Other extensions fall back to mime.TypeByExtension,
// which may consult the host's tables: that part can differ between
// machines.
var mimeTypes = map[string]string{
	".py":    "text/x-python",
	".txt":   "text/plain",
	".md":    "text/markdown",
	".csv":   "text/csv",
	".tsv":   "text/tab-separated-values",
	".json":  "application/json",
	".html":  "text/html",
	".htm":   "text/html",
	".css":   "text/css",
	".js":    "text/javascript",
	".mjs":   "text/javascript",
	".xml":   "text/xml",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".gif":   "image/gif",
	".webp":  "image/webp",
	".bmp":   "image/bmp",
	".ico":   "image/vnd.microsoft.icon",
	".tif":   "image/tiff",
	".tiff":  "image/tiff",
	".pdf":   "application/pdf",
	".zip":   "application/zip",
	".tar":   "application/x-tar",
	".gz":    "application/gzip",
	".sh":    "application/x-sh",
	".tex":   "application/x-tex",
	".c":     "text/plain",
	".h":     "text/plain",
	".yaml":  "application/yaml",
	".yml":   "application/yaml",
	".wasm":  "application/wasm",
	".mp3":   "audio/mpeg",
	".wav":   "audio/x-wav",
	".mp4":   "video/mp4",
	".webm":  "video/webm",
	".woff":  "font/woff",
	".woff2": "font/woff2",
}

// MimeType guesses a file's MIME type from its extension ("" if unknown),
// without parameters.
func MimeType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ext == "" {
		return ""
	}
	if t, ok := mimeTypes[ext]; ok {
		return t
	}
	t := mime.TypeByExtension(ext)
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	return t
}
