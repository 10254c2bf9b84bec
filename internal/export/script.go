package export

import (
	"bufio"
	"regexp"
	"strings"
	"sync"

	"quire/internal/nbformat"
)

// language is what the script export needs of the kernel's language.
type language struct {
	ext      string // ".py"
	mimetype string // "text/x-python"
	comment  string // "# ", or "" when unknown (markdown cells left out)
}

// languages maps a lower-case language name to its file extension, media
// type and line-comment prefix. Built on first use, as everything of the
// export is: a server that never exports pays nothing for it at start.
var languages = sync.OnceValue(func() map[string]language {
	return map[string]language{
		"python":     {".py", "text/x-python", "# "},
		"python3":    {".py", "text/x-python", "# "},
		"ipython":    {".py", "text/x-python", "# "},
		"r":          {".r", "text/x-r-source", "# "},
		"julia":      {".jl", "text/x-julia", "# "},
		"ruby":       {".rb", "text/x-ruby", "# "},
		"perl":       {".pl", "text/x-perl", "# "},
		"bash":       {".sh", "text/x-sh", "# "},
		"sh":         {".sh", "text/x-sh", "# "},
		"powershell": {".ps1", "text/plain", "# "},
		"javascript": {".js", "text/javascript", "// "},
		"typescript": {".ts", "text/typescript", "// "},
		"c":          {".c", "text/x-csrc", "// "},
		"c++":        {".cpp", "text/x-c++src", "// "},
		"cpp":        {".cpp", "text/x-c++src", "// "},
		"java":       {".java", "text/x-java", "// "},
		"go":         {".go", "text/x-go", "// "},
		"rust":       {".rs", "text/x-rust", "// "},
		"scala":      {".scala", "text/x-scala", "// "},
		"kotlin":     {".kt", "text/x-kotlin", "// "},
		"csharp":     {".cs", "text/x-csharp", "// "},
		"c#":         {".cs", "text/x-csharp", "// "},
		"sql":        {".sql", "text/x-sql", "-- "},
		"lua":        {".lua", "text/x-lua", "-- "},
		"haskell":    {".hs", "text/x-haskell", "-- "},
		"matlab":     {".m", "text/x-matlab", "% "},
		"octave":     {".m", "text/x-octave", "% "},
	}
})

// commentByExt is the comment prefix of a language known only by its
// file extension.
var commentByExt = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, l := range languages() {
		if _, ok := m[l.ext]; !ok {
			m[l.ext] = l.comment
		}
	}
	return m
})

var (
	// extRe is a file extension the script export will use as given.
	extRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\.[A-Za-z0-9_+-]{1,16}$`) })
	// mimeRe is a media type the script export will send as given.
	mimeRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]+/[A-Za-z0-9.+_-]{1,64}$`) })
)

// languageOf reads the language from metadata.language_info (file_extension,
// mimetype, name), then metadata.kernelspec.language; unknown → ".txt".
func languageOf(nb *nbformat.Notebook) language {
	var meta map[string]any
	if nb != nil {
		meta, _ = nb.Doc["metadata"].(map[string]any)
	}
	info := obj(meta, "language_info")
	name := strings.ToLower(str(info, "name"))
	if name == "" {
		name = strings.ToLower(str(obj(meta, "kernelspec"), "language"))
	}
	l, known := languages()[name]
	if !known {
		l = language{ext: ".txt", mimetype: "text/plain"}
	}
	if ext := str(info, "file_extension"); extRe().MatchString(ext) {
		l.ext = ext
		if !known {
			l.comment = commentByExt()[ext]
		}
	}
	if mt := str(info, "mimetype"); mimeRe().MatchString(mt) {
		l.mimetype = mt
	}
	return l
}

// writeScript writes code cells as they are and markdown and raw cells as
// comments (left out when the language's comment prefix is unknown), one
// blank line between cells.
func writeScript(w *bufio.Writer, nb *nbformat.Notebook, lang language) {
	first := true
	for _, c := range cells(nb) {
		src := str(c, "source")
		switch str(c, "cell_type") {
		case "code":
		case "markdown", "raw":
			if lang.comment == "" {
				continue
			}
			src = comment(src, lang.comment)
		default:
			continue
		}
		if !first {
			w.WriteString("\n\n")
		}
		first = false
		w.WriteString(strings.TrimRight(src, "\n"))
		w.WriteByte('\n')
	}
}

// comment prefixes every line of s with prefix (an empty line gets the
// prefix without its trailing space).
func comment(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		if l == "" {
			lines[i] = strings.TrimRight(prefix, " ")
		} else {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
