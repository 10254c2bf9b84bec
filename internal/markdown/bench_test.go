package markdown_test

import (
	"strings"
	"testing"

	"quire/internal/markdown"
)

// cell is a typical notebook markdown cell of about 5 KB: headings,
// lists, code, a table, links, emphasis and math placeholders.
var cell = func() string {
	part := `## Results of the *second* run

We fit the model from [the paper](https://example.org/paper.pdf "Smith et al.") on
**10 000** samples; see also [the appendix][app] and www.example.com/data.
The loss is qxMATHxq0x and the learning rate ` + "`lr=3e-4`" + `.

1. Load the data with ` + "`pandas`" + `:
   - drop rows with *missing* values,
   - normalise columns \(except ` + "`id`" + `\).
2. Train for 20 epochs.
3. Evaluate on the **held-out** set.

` + "```python" + `
import pandas as pd
df = pd.read_csv("data.csv")
df = df.dropna()
model.fit(df[cols], df["y"], epochs=20)
` + "```" + `

| model | accuracy | time (s) |
|:------|---------:|:--------:|
| baseline | 0.81 | 12 |
| ours | **0.87** | 15 |
| ours + aug | 0.89 | 31 |

> **Note:** results vary with the seed & the hardware; we report the
> median of five runs.

- [x] data cleaned
- [ ] ablation study
- [ ] write-up

[app]: https://example.org/appendix#sec-2

`
	return strings.Repeat(part, 5000/len(part)+1)[:5000]
}()

func BenchmarkToHTML(b *testing.B) {
	b.SetBytes(int64(len(cell)))
	b.ReportAllocs()
	for b.Loop() {
		markdown.ToHTML(cell)
	}
}
