// Package nbformat reads, validates, upgrades and writes Jupyter notebooks
// exactly as Python's nbformat does, so files saved by Quire are
// byte-for-byte what Jupyter would write.
//
// A notebook is held as a tree of plain JSON values: map[string]any,
// []any, string, Number (the original numeric lexeme, never reformatted),
// bool and nil. In memory, multiline strings are joined (the "in-memory"
// form the REST API sends); Marshal splits them again as nbformat does.
package nbformat

import "errors"

// Number is a JSON number kept as its original text, so that 0.1, 1e300,
// -0.0 and integers beyond 2^53 survive a read/write unchanged.
type Number string

// Notebook is a notebook in memory (v4, multiline strings joined).
type Notebook struct {
	// Doc is the whole top-level object: cells, metadata, nbformat,
	// nbformat_minor.
	Doc map[string]any
}

// SyntaxError reports bytes that are not a JSON notebook at all.
type SyntaxError struct{ Msg string }

func (e *SyntaxError) Error() string { return e.Msg }

// ValidationError reports a notebook that parses but breaks the schema.
type ValidationError struct{ Msg string }

func (e *ValidationError) Error() string { return e.Msg }

var errTODO = errors.New("nbformat: not implemented yet")

// Read parses notebook file bytes (any nbformat 3 or 4.x), upgrading v3 to
// v4 and joining multiline strings. Structural problems that make the
// document unusable (not an object, cells not a list, …) are errors;
// softer schema violations are returned by Validate.
func Read(data []byte) (*Notebook, error) { return nil, errTODO }

// FromJSON builds a notebook from the REST API's "content" value (a JSON
// object in in-memory or on-disk form).
func FromJSON(raw []byte) (*Notebook, error) { return nil, errTODO }

// Validate checks the notebook against the v4 schema rules for its minor
// version. It may fill in missing cell ids for 4.5+ as nbformat does.
func (nb *Notebook) Validate() error { return errTODO }

// MarshalJSON renders the in-memory form (joined strings) for the API.
func (nb *Notebook) MarshalJSON() ([]byte, error) { return nil, errTODO }

// Marshal renders file bytes identical to nbformat.write: indent 1, sorted
// keys, ensure_ascii=False, multiline strings split, trailing newline.
func Marshal(nb *Notebook) ([]byte, error) { return nil, errTODO }

// New returns an empty v4.5 notebook.
func New() *Notebook {
	return &Notebook{Doc: map[string]any{
		"cells": []any{}, "metadata": map[string]any{},
		"nbformat": Number("4"), "nbformat_minor": Number("5"),
	}}
}

// SetTrusted sets metadata.trusted on every code cell (transient; Marshal
// never writes it).
func (nb *Notebook) SetTrusted(trusted bool) {}
