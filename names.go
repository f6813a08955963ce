package ckptfs

import "fmt"

// MaxNameLen is the longest session, branch or tag name.
const MaxNameLen = 128

// ValidateName checks a session, branch or tag name (SPEC §1): 1–128
// characters of A-Z a-z 0-9 . _ - + @, not starting with '.' or '-'.
func ValidateName(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty %s name", ErrInvalidName, kind)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: %s name longer than %d characters", ErrInvalidName, kind, MaxNameLen)
	case name[0] == '.' || name[0] == '-':
		return fmt.Errorf("%w: %s name %q starts with %q", ErrInvalidName, kind, name, name[0])
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-' || c == '+' || c == '@'
		if !ok {
			return fmt.Errorf("%w: %s name %q: character %q not allowed (use A-Z a-z 0-9 . _ - + @)", ErrInvalidName, kind, name, c)
		}
	}
	return nil
}
