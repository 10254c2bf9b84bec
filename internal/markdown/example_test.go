package markdown_test

import (
	"fmt"

	"quire/internal/markdown"
)

func ExampleToHTML() {
	fmt.Print(markdown.ToHTML("# Results\n\nThe *loss* is qxMATHxq0x; see [the data](data.csv).\n\n- [x] cleaned\n- [ ] plotted\n"))
	// Output:
	// <h1>Results</h1>
	// <p>The <em>loss</em> is qxMATHxq0x; see <a href="data.csv">the data</a>.</p>
	// <ul>
	// <li>☑ cleaned</li>
	// <li>☐ plotted</li>
	// </ul>
}
