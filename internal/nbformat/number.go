package nbformat

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// asNumber returns x as a Number: Numbers, json.Numbers and the Go numbers
// a caller may have put in a notebook (int, int64, float64; a float64 is
// never an integer, as in Python).
func asNumber(x any) (Number, bool) {
	switch x := x.(type) {
	case Number:
		return x, true
	case json.Number:
		return Number(x), true
	case int:
		return Number(strconv.Itoa(x)), true
	case int64:
		return Number(strconv.FormatInt(x, 10)), true
	case float64:
		s := pyFloatRepr(x)
		if !strings.ContainsAny(s, ".eIN") {
			s += ".0"
		}
		return Number(s), true
	}
	return "", false
}

// IsInt reports whether n is a JSON integer (no fraction, no exponent), which
// Python reads as an int of arbitrary size.
func (n Number) IsInt() bool {
	s := strings.TrimPrefix(string(n), "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// Int64 returns n as an int64 if it is an integer lexeme in range.
func (n Number) Int64() (int64, bool) {
	if !n.IsInt() {
		return 0, false
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	return v, err == nil
}

// Float64 returns n's value as Python's float() would (1e400 → +Inf).
func (n Number) Float64() (float64, error) {
	switch n {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	if !validNumber(string(n)) {
		return 0, fmt.Errorf("nbformat: invalid number %q", string(n))
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !isRangeErr(err) {
		return 0, err
	}
	return f, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// Python returns the number as Python writes it after json.loads: integers
// exactly (with "-0" as "0"), floats as repr(float) ("1E5" → "100000.0",
// "1e300" → "1e+300", "1e400" → "Infinity"). This is what nbformat writes to
// disk and what str() yields when nbformat.sign hashes a notebook.
func (n Number) Python() (string, error) {
	s := string(n)
	switch s {
	case "NaN", "Infinity", "-Infinity":
		return s, nil
	}
	if !validNumber(s) {
		return "", fmt.Errorf("nbformat: invalid number %q", s)
	}
	if n.IsInt() {
		if strings.Trim(s, "-0") == "" {
			return "0", nil
		}
		return s, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return "", err
	}
	return pyFloatRepr(f), nil
}

// pyFloatRepr formats f as Python's repr(float) and json.dumps do.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX, shortest round-trip
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	k := strings.IndexByte(e, 'e')
	digits := strings.Replace(e[:k], ".", "", 1)
	exp, _ := strconv.Atoi(e[k+1:])
	decpt := exp + 1 // digits d1d2… = 0.d1d2… × 10^decpt

	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if decpt > -4 && decpt <= 16 {
		switch {
		case decpt <= 0:
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", -decpt))
			b.WriteString(digits)
		case decpt >= len(digits):
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", decpt-len(digits)))
			b.WriteString(".0")
		default:
			b.WriteString(digits[:decpt])
			b.WriteByte('.')
			b.WriteString(digits[decpt:])
		}
		return b.String()
	}
	b.WriteByte(digits[0])
	if len(digits) > 1 {
		b.WriteByte('.')
		b.WriteString(digits[1:])
	}
	b.WriteByte('e')
	if exp < 0 {
		b.WriteByte('-')
		exp = -exp
	} else {
		b.WriteByte('+')
	}
	if exp < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.Itoa(exp))
	return b.String()
}

// validNumber reports whether s is a JSON number lexeme.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) || !isDigit(s[i]) {
		return false
	}
	if s[i] == '0' {
		i++
	} else {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i == len(s)
}
