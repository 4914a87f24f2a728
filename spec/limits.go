package spec

import (
	"fmt"
	"io"

	"github.com/goccy/go-yaml/scanner"
	"github.com/goccy/go-yaml/token"
)

// Limits on the structure of a workload file, enforced on the token stream
// before the YAML parser builds a tree, so that time and memory grow
// linearly with the file's size. goccy/go-yaml's parser is quadratic in the
// nesting depth and in the number of keys of one mapping, and its scanner
// in the depth of flow collections; these limits keep both small. A real
// workload file with 10,000 workloads stays far inside them.
const (
	// MaxDepth bounds the nesting of mappings and lists.
	MaxDepth = 32
	// MaxTokens bounds the YAML tokens (keys, values, punctuation) in a
	// file. The scanner tokenizes the whole file at once, so the bound is
	// first checked on the count of indicator characters, which at least
	// half of all tokens start with, before scanning.
	MaxTokens = 600_000
	// MaxKeysPerMapping bounds the keys of one mapping.
	MaxKeysPerMapping = 256
	// MaxItemsPerList bounds the items of one list.
	MaxItemsPerList = 100_000
	// MaxDiagnostics bounds the problems reported for one file.
	MaxDiagnostics = 100
)

// LimitError is a file that exceeds one of the structural limits.
type LimitError struct {
	Limit     string // "depth", "tokens", "keys per mapping", "items per list", "aliases"
	Line, Col int
	Msg       string
}

func (e *LimitError) Error() string { return e.Msg }

// bom is the UTF-8 byte order mark, which editors on Windows write.
const bom = "\xef\xbb\xbf"

// flowDepth scans the raw bytes for the nesting of flow collections ([ and
// {), skipping quoted strings and comments, and stops at the first place
// deeper than MaxDepth. It runs before the YAML scanner, whose cost grows
// with the square of the flow depth. Brackets inside plain scalars count
// too, so the check is conservative: it can refuse a file with more than 32
// unbalanced brackets in unquoted text, never accept a deeper one.
func flowDepth(b []byte) *LimitError {
	depth, line, col := 0, 1, 0
	prevSpace := true
	for i := 0; i < len(b); i++ {
		c := b[i]
		col++
		switch c {
		case '\n':
			line, col, prevSpace = line+1, 0, true
			continue
		case '#':
			if prevSpace {
				for i < len(b) && b[i] != '\n' {
					i++
				}
				i--
				continue
			}
		case '"', '\'':
			// A quote opens a quoted scalar only where a scalar can start:
			// after a space, an indicator or at the start of a line.
			if !prevSpace {
				break
			}
			q := c
			for i++; i < len(b) && b[i] != q; i++ {
				if b[i] == '\\' && q == '"' {
					i++
				} else if b[i] == '\n' {
					line, col = line+1, 0
				}
			}
		case '[', '{':
			depth++
			if depth > MaxDepth {
				return &LimitError{Limit: "depth", Line: line, Col: col, Msg: fmt.Sprintf("nesting deeper than %d levels (limit: depth)", MaxDepth)}
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
		prevSpace = c == ' ' || c == '\t' || c == '[' || c == '{' || c == ',' || c == ':' || c == '-' || c == '?'
	}
	return nil
}

// indicators counts the characters that start or end a YAML token other
// than a scalar; every scalar is followed by one of them or the end of the
// file, so the file has at most 2n+1 tokens.
func indicators(src string) int {
	n := 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case ',', ':', '[', ']', '{', '}', '-', '?', '&', '*', '!', '|', '>', '#', '\n', '\'', '"':
			n++
		}
	}
	return n
}

type level struct {
	col   int  // column of the block collection's keys or entries; -1 in flow
	seq   bool // a list (else a mapping)
	count int
}

// tokenize runs goccy/go-yaml's scanner with the limits checked on every
// token, stopping at the first limit exceeded.
func tokenize(src string) (token.Tokens, *LimitError) {
	if le := flowDepth([]byte(src)); le != nil {
		return nil, le
	}
	if n := indicators(src); n > MaxTokens {
		return nil, &LimitError{Limit: "tokens", Line: 1, Col: 1, Msg: fmt.Sprintf("more than %d YAML tokens (%d indicator characters; limit: tokens)", MaxTokens, n)}
	}
	var s scanner.Scanner
	s.Init(src)
	var tokens token.Tokens
	var stack []level // open collections, outermost first
	fail := func(tk *token.Token, limit, msg string) *LimitError {
		le := &LimitError{Limit: limit, Msg: msg + " (limit: " + limit + ")"}
		if tk.Position != nil {
			le.Line, le.Col = tk.Position.Line, tk.Position.Column
		}
		return le
	}
	flow := 0
	for {
		sub, err := s.Scan()
		if err == io.EOF {
			break
		}
		if len(tokens)+len(sub) > MaxTokens {
			return nil, fail(sub[0], "tokens", fmt.Sprintf("more than %d YAML tokens", MaxTokens))
		}
		for _, tk := range sub {
			col := 0
			if tk.Position != nil {
				col = tk.Position.Column
			}
			switch tk.Type {
			case token.AliasType:
				return nil, fail(tk, "aliases", "YAML aliases are not supported in workload files; write the value out")
			case token.SequenceStartType, token.MappingStartType:
				flow++
				stack = append(stack, level{col: -1, seq: tk.Type == token.SequenceStartType})
			case token.SequenceEndType, token.MappingEndType:
				if flow > 0 {
					flow--
					for len(stack) > 0 {
						top := stack[len(stack)-1]
						stack = stack[:len(stack)-1]
						if top.col == -1 {
							break
						}
					}
				}
			case token.CollectEntryType:
				if flow > 0 && stack[len(stack)-1].seq {
					stack[len(stack)-1].count++
					if stack[len(stack)-1].count >= MaxItemsPerList {
						return nil, fail(tk, "items per list", fmt.Sprintf("a list with more than %d items", MaxItemsPerList))
					}
				}
			case token.SequenceEntryType:
				if flow == 0 {
					for len(stack) > 0 && stack[len(stack)-1].col > col {
						stack = stack[:len(stack)-1]
					}
					if n := len(stack); n > 0 && stack[n-1].seq && stack[n-1].col == col {
						stack[n-1].count++
						if stack[n-1].count > MaxItemsPerList {
							return nil, fail(tk, "items per list", fmt.Sprintf("a list with more than %d items", MaxItemsPerList))
						}
					} else {
						stack = append(stack, level{col: col, seq: true, count: 1})
					}
				}
			case token.MappingValueType:
				var key *token.Token
				if len(tokens) > 0 {
					key = tokens[len(tokens)-1]
				}
				if flow > 0 {
					top := &stack[len(stack)-1]
					if !top.seq {
						top.count++
						if top.count > MaxKeysPerMapping {
							return nil, fail(tk, "keys per mapping", fmt.Sprintf("a mapping with more than %d keys", MaxKeysPerMapping))
						}
					}
					break
				}
				kcol := col
				if key != nil && key.Position != nil && key.Position.Line == tk.Position.Line {
					kcol = key.Position.Column
				}
				for len(stack) > 0 && (stack[len(stack)-1].col > kcol || stack[len(stack)-1].seq && stack[len(stack)-1].col == kcol) {
					stack = stack[:len(stack)-1]
				}
				if n := len(stack); n > 0 && !stack[n-1].seq && stack[n-1].col == kcol {
					stack[n-1].count++
					if stack[n-1].count > MaxKeysPerMapping {
						return nil, fail(tk, "keys per mapping", fmt.Sprintf("a mapping with more than %d keys", MaxKeysPerMapping))
					}
				} else {
					stack = append(stack, level{col: kcol, count: 1})
				}
			}
			if len(stack) > MaxDepth {
				return nil, fail(tk, "depth", fmt.Sprintf("nesting deeper than %d levels", MaxDepth))
			}
			tokens.Add(tk)
		}
		if err != nil {
			break // the invalid token is in sub; the parser reports it
		}
	}
	return tokens, nil
}
