// Faster first markdown renders, same output.
//
// marked tries its block rules in turn at every block. Some rules are large
// regular expressions (blockquote's embeds the paragraph rule, gfm's
// paragraph embeds the table rule), and the browser compiles each one the
// first time it runs: ~100 ms on this project's test machine for a two-line
// cell, paid on the first screen of every notebook with markdown in it.
//
// fastTokenizers answers the common cases without those expressions:
//  - blockquote, html, def, table and lheading first check a condition every
//    match of their rule needs (a ">" or "<" or "[" starting the block, a
//    second line that could be a table's delimiter row, an "===" or "---"
//    line somewhere below); when it fails there is no token, as the rule
//    would have found, and when it holds marked's own tokenizer decides
//    (returning false hands over to it).
//  - the paragraph rule (used through parseFast, so marked still sees its
//    own paragraph tokenizer and merges paragraphs as it does in gfm) takes
//    a paragraph whose following lines all begin with a letter and which
//    ends at a blank line or the end: no such line can start anything that
//    interrupts a paragraph (a heading, rule, quote, fence, list, HTML block,
//    table or blank-with-spaces line all begin otherwise), so the full rule
//    would take exactly those lines. Anything else goes to the full rule.
// test/markedfast.test.ts renders thousands of generated documents both
// ways and compares the HTML.
import { Lexer, type Marked, type MarkedExtension, type Tokenizer } from "marked";

const mayQuote = /^ {0,3}>/;
const mayHtml = /^ {0,3}</;
const mayDef = /^ {0,3}\[/;
const mayTable = /^ *[^\n ].*\n {0,3}[|:-]/;
const maySetext = /\n {0,3}(?:=+|-+) *(?:\n|$)/;
const letter = /[A-Za-z]/;

/** only hands the block to marked's tokenizer when may matches it. */
function only(may: RegExp) {
  return (src: string): false | undefined => (may.test(src) ? false : undefined);
}

/** plainParagraph is the end of a paragraph of src the fast path can take, or -1. */
export function plainParagraph(src: string): number {
  if (src === "" || src[0] === "\n") return -1;
  let end = src.indexOf("\n");
  while (end >= 0) {
    const next = end + 1;
    if (next >= src.length || src[next] === "\n") return end; // a blank line or the end
    if (!letter.test(src[next])) return -1; // might interrupt: marked decides
    end = src.indexOf("\n", next);
  }
  return src.length;
}

export const fastTokenizers: MarkedExtension = {
  tokenizer: {
    blockquote: only(mayQuote),
    html: only(mayHtml),
    def: only(mayDef),
    table: only(mayTable),
    lheading: only(maySetext),
  },
};

type BlockRules = Tokenizer["rules"]["block"];
const patched = new WeakMap<BlockRules, BlockRules>();

/** fastBlock is block with its paragraph rule answering plain paragraphs itself. */
function fastBlock(block: BlockRules): BlockRules {
  let b = patched.get(block);
  if (!b) {
    const full = block.paragraph;
    const rule = Object.create(full) as RegExp & { exec: RegExp["exec"] };
    rule.exec = (src: string): RegExpExecArray | null => {
      const end = plainParagraph(src);
      if (end < 0) return full.exec(src);
      const raw = src.slice(0, end);
      const m = [raw, raw] as unknown as RegExpExecArray;
      m.index = 0;
      m.input = src;
      return m;
    };
    b = { ...block, paragraph: rule };
    patched.set(block, b);
  }
  return b;
}

/** parseFast renders src as m.parse does (m made with fastTokenizers, no hooks or walkTokens). */
export function parseFast(m: Marked, src: string): string {
  const lexer = new Lexer(m.defaults);
  // The lexer has just given the tokenizer (m's own, with fastTokenizers) its rules.
  const tok = m.defaults.tokenizer;
  if (tok) tok.rules = { ...tok.rules, block: fastBlock(tok.rules.block) };
  return m.parser(lexer.lex(src));
}
