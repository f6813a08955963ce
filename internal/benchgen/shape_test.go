package benchgen

import "testing"

func TestParseShape(t *testing.T) {
	for _, s := range []Shape{Text, Random, Zeros} {
		got, err := ParseShape(s.String())
		if err != nil || got != s {
			t.Errorf("ParseShape(%q) = %v, %v; want %v", s.String(), got, err, s)
		}
	}
	var zero Shape
	if zero != Text {
		t.Errorf("zero Shape is %v, want text", zero)
	}
	for _, bad := range []string{"", "Text", "json", "zero"} {
		if _, err := ParseShape(bad); err == nil {
			t.Errorf("ParseShape(%q) succeeded", bad)
		}
	}
	if got := Shape(7).String(); got != "Shape(7)" {
		t.Errorf("Shape(7).String() = %q", got)
	}
}
