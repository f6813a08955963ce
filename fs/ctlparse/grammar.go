package ctlparse

// Grammar maps each verb accepted by a control file to its specification.
type Grammar map[string]VerbSpec

// VerbSpec describes the arguments one verb accepts.
type VerbSpec struct {
	// MinArgs and MaxArgs bound the number of positional words after the
	// verb. MaxArgs -1 means unlimited.
	MinArgs, MaxArgs int
	// Keys lists the key=value keys the verb accepts.
	Keys map[string]KeySpec
	// Prefixes lists key prefixes (each ending in ".", such as "meta.")
	// under which the user chooses the rest of the key. Every such key is
	// scalar: it may be given at most once.
	Prefixes []string
}

// KeySpec describes one key of a verb.
type KeySpec struct {
	// List keys may be repeated; each occurrence appends a value. Other
	// keys may be given at most once.
	List bool
	// Required keys must be given.
	Required bool
	// Enum, if non-empty, lists the only values accepted.
	Enum []string
	// Placeholder names the value in the "needs key=VALUE" message for a
	// missing required key, e.g. "PATH". Empty means "VALUE".
	Placeholder string
}

// yesNo is the Enum of boolean keys. See ParseBool.
func yesNo() []string { return []string{"yes", "no"} }

// SessionGrammar returns the grammar of a session's control file. Each call
// returns a fresh Grammar that the caller may modify.
func SessionGrammar() Grammar {
	return Grammar{
		"checkpoint": {
			MinArgs: 0, MaxArgs: 0,
			Keys: map[string]KeySpec{
				"from":       {Required: true, Placeholder: "PATH"},
				"branch":     {},
				"parent":     {},
				"message":    {},
				"tag":        {List: true},
				"time":       {},
				"exclude":    {List: true},
				"if-changed": {Enum: yesNo()},
			},
			Prefixes: []string{"meta."},
		},
		"branch": {
			MinArgs: 1, MaxArgs: 1,
			Keys: map[string]KeySpec{"from": {}},
		},
		"merge": {
			MinArgs: 1, MaxArgs: 1,
			Keys: map[string]KeySpec{
				"into":     {},
				"strategy": {Enum: []string{"fail", "ours", "theirs", "recursive"}},
				"message":  {},
			},
		},
		"tag":    {MinArgs: 2, MaxArgs: -1},
		"untag":  {MinArgs: 2, MaxArgs: -1},
		"delete": {MinArgs: 1, MaxArgs: -1},
		"restore": {
			MinArgs: 1, MaxArgs: 1,
			Keys: map[string]KeySpec{
				"to":     {Required: true, Placeholder: "PATH"},
				"delete": {Enum: yesNo()},
			},
		},
	}
}

// RootGrammar returns the grammar of the root control file. Each call returns
// a fresh Grammar that the caller may modify.
func RootGrammar() Grammar {
	return Grammar{
		"gc": {
			MinArgs: 0, MaxArgs: 0,
			Keys: map[string]KeySpec{
				"keep-within": {},
				"keep-last":   {},
				"keep-daily":  {},
				"keep-weekly": {},
				"keep-tagged": {Enum: yesNo()},
				"session":     {},
				"dry-run":     {Enum: yesNo()},
			},
		},
		"session": {MinArgs: 1, MaxArgs: 1},
	}
}

// ParseBool parses the value of a yes/no key. It accepts exactly "yes" and
// "no" (lower case); anything else, including "true", "false", "1" and "0",
// is an error.
func ParseBool(s string) (bool, error) {
	switch s {
	case "yes":
		return true, nil
	case "no":
		return false, nil
	}
	return false, errorf("invalid boolean %s (want yes or no)", q(s))
}
