// Package ctlparse parses the command lines written to ckptfs control files
// (SPEC §3). It only checks syntax: it splits a line into words, checks the
// verb, the number of positional arguments, the keys and the values of
// enumerated keys. Callers validate ids, names, paths, times and durations.
//
// # Lines
//
// A control file takes one command per line. The file system feeds the
// bytes written to a handle to a LineBuffer, which yields each line when its
// "\n" is written; Flush yields a final line without newline when the
// handle is closed. Each line is then passed to Grammar.Parse.
//
//   - A line may be at most MaxLineLen (1 MiB) bytes, not counting the "\n"
//     but counting the CR of a CRLF ending; a longer line is an error
//     ("line too long") and is dropped.
//   - Parse ignores one trailing CR, so CRLF line endings work (LineBuffer
//     splits at "\n" only and leaves the CR in the line). Any other CR is
//     an ordinary byte.
//   - A NUL byte anywhere in a line, even in a comment, is an error.
//   - A line that is empty or contains only blanks (space, tab) is ignored,
//     as is a line whose first non-blank character is '#'. A '#' anywhere
//     else is an ordinary character: "tag ID #1" tags with "#1".
//
// # Words
//
// A line is split into words as a POSIX shell does, without any expansion:
//
//   - Unquoted blanks (space and tab) separate words. Other whitespace and
//     control characters are ordinary characters.
//   - An unquoted backslash makes the next character literal. A backslash
//     at the end of the line is an error (there are no continuation lines).
//   - Characters between single quotes are literal; a single quote cannot
//     appear inside single quotes.
//   - Between double quotes, \" stands for " and \\ for \; any other
//     backslash is literal, so "a\b" is the three bytes a\b.
//   - Quoted and unquoted parts that touch form one word, and a quoted
//     empty string is an (empty) word.
//   - An unterminated single or double quote is an error.
//   - Words are byte strings: invalid UTF-8 is accepted and kept as is,
//     since paths may contain it. Verbs and key names are ASCII by
//     construction; everything else is passed through.
//
// Examples:
//
//	checkpoint from=/src message="a b"c   →  checkpoint, from=/src, message=a bc
//	tag 01J9 'release 1' "" x\ y          →  tag, 01J9, release 1, (empty), x y
//	merge feature message="say \"hi\" \n" →  merge, feature, message=say "hi" \n
//
// Split performs only this step. Quote and Join do the reverse: for every
// line that Split accepts, Split(Join(words)) returns the same words.
//
// # Commands
//
// The first word is the verb, which must be one of the grammar's verbs
// (case-sensitive). Each later word is either a key=value word or a
// positional argument, decided after quote removal (quoting does not
// change how a word is classified): a word is key=value if it contains '='
// and the part before the first '=' matches
//
//	^[a-z][a-z0-9-]*(\.[^=]+)?$
//
// The value is everything after the first '=' and may be empty or contain
// more '=' characters. Every other word is positional, including words
// such as "=x", "Key=v" and "/p=q". Positional arguments and keys may be
// interleaved; the order of positional arguments is kept.
//
// For each verb:
//
//   - a key not listed for the verb is an error (unknown key), except keys
//     under a prefix of the verb such as "meta." (meta.K=V with any
//     non-empty K);
//   - list keys (tag=, exclude=) may be repeated, each occurrence adding
//     a value in order; repeating any other key, including the same
//     meta.K, is an error;
//   - keys with an enumeration accept only the listed values; yes/no keys
//     accept exactly "yes" and "no" (not "true", "1" and so on; see
//     ParseBool);
//   - the number of positional arguments must be in the verb's range, and
//     required keys must be given.
//
// Values are otherwise not checked: an empty value such as "from=" is
// accepted here and left to the caller.
//
// Session control file (SessionGrammar):
//
//	checkpoint from=PATH [branch=B] [parent=ID|none] [message=TEXT] [tag=T]...
//	           [meta.K=V]... [time=RFC3339] [exclude=GLOB]... [if-changed=yes|no]
//	branch NAME [from=ID|BRANCH]
//	merge SOURCE [into=BRANCH] [strategy=fail|ours|theirs|recursive] [message=TEXT]
//	tag ID TAG...
//	untag ID TAG...
//	delete ID...
//	restore ID to=PATH [delete=yes|no]
//
// Root control file (RootGrammar):
//
//	gc [keep-within=DUR] [keep-last=N] [keep-daily=N] [keep-weekly=N]
//	   [keep-tagged=yes|no] [session=S] [dry-run=yes|no]
//	session NAME
//
// # Errors
//
// Every error is an *Error, which matches ErrSyntax with errors.Is. Its
// message is meant to be shown to the user verbatim, for example:
//
//	unknown verb "chekpoint"
//	unknown key "bogus" for checkpoint
//	key "branch" given twice
//	invalid strategy "best" for merge (want fail, ours, theirs or recursive)
//	checkpoint needs from=PATH
//	branch takes 1 argument, got 0
//	tag takes at least 2 arguments, got 1
//	unterminated double quote (opened at column 17)
//	NUL byte at column 5
//	line too long (limit 1048576 bytes)
//
// User input echoed in a message is Go-quoted and cut after 64 bytes.
package ctlparse
