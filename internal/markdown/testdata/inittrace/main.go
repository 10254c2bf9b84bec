// Command inittrace imports package markdown and does nothing else, so
// that GODEBUG=inittrace=1 shows what importing it costs at start-up.
package main

import _ "quire/internal/markdown"

func main() {}
