package orc

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Type.Kind values.
const (
	kindBoolean   = 0
	kindByte      = 1
	kindShort     = 2
	kindInt       = 3
	kindLong      = 4
	kindFloat     = 5
	kindDouble    = 6
	kindString    = 7
	kindBinary    = 8
	kindTimestamp = 9
	kindList      = 10
	kindMap       = 11
	kindStruct    = 12
	kindUnion     = 13
	kindDecimal   = 14
	kindDate      = 15
	kindVarchar   = 16
	kindChar      = 17
	// kindTimestampInstant is "timestamp with local time zone".
	kindTimestampInstant = 18
	kindGeometry         = 19
	kindGeography        = 20

	// maxDecimalPrecision is the largest precision of an ORC decimal.
	maxDecimalPrecision = 38
)

var kindNames = map[uint64]string{
	kindBoolean:          "boolean",
	kindByte:             "tinyint",
	kindShort:            "smallint",
	kindInt:              "int",
	kindLong:             "bigint",
	kindFloat:            "float",
	kindDouble:           "double",
	kindString:           "string",
	kindBinary:           "binary",
	kindTimestamp:        "timestamp",
	kindList:             "array",
	kindMap:              "map",
	kindStruct:           "struct",
	kindUnion:            "uniontype",
	kindDecimal:          "decimal",
	kindDate:             "date",
	kindVarchar:          "varchar",
	kindChar:             "char",
	kindTimestampInstant: "timestamp with local time zone",
	kindGeometry:         "geometry",
	kindGeography:        "geography",
}

// schema is a file's type tree: the footer's types, in pre-order, with the
// root at index 0.
type schema struct {
	types []*orcType
}

// parseSchema decodes and checks the footer's types. Types must form one
// tree numbered in pre-order, as every ORC writer stores them; column
// statistics and streams refer to columns by that number.
func parseSchema(raw [][]byte) (*schema, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("footer has no types")
	}
	s := &schema{types: make([]*orcType, len(raw))}
	for i, b := range raw {
		t, err := parseType(b)
		if err != nil {
			return nil, fmt.Errorf("type %d: %w", i, err)
		}
		if err := t.check(); err != nil {
			return nil, fmt.Errorf("type %d: %w", i, err)
		}
		s.types[i] = t
	}
	// Walk the tree without recursion: each subtype must be the next
	// column number, which also rules out cycles and shared subtrees.
	next := uint64(1)
	stack := []uint64{0}
	cursor := []int{0}
	for len(stack) > 0 {
		top := len(stack) - 1
		t := s.types[stack[top]]
		if cursor[top] == len(t.subtypes) {
			stack, cursor = stack[:top], cursor[:top]
			continue
		}
		sub := t.subtypes[cursor[top]]
		cursor[top]++
		if sub != next || sub >= uint64(len(s.types)) {
			return nil, fmt.Errorf("type %d: subtype %d is not column %d of a pre-order type tree", stack[top], sub, next)
		}
		next++
		stack, cursor = append(stack, sub), append(cursor, 0)
	}
	if next != uint64(len(s.types)) {
		return nil, fmt.Errorf("%d of %d types are not reachable from the root", uint64(len(s.types))-next, len(s.types))
	}
	return s, nil
}

// check validates one type on its own.
func (t *orcType) check() error {
	n := len(t.subtypes)
	switch t.kind {
	case kindList:
		if n != 1 {
			return fmt.Errorf("array has %d element types", n)
		}
	case kindMap:
		if n != 2 {
			return fmt.Errorf("map has %d key and value types", n)
		}
	case kindStruct:
		if len(t.fieldNames) != n {
			return fmt.Errorf("struct has %d field names for %d fields", len(t.fieldNames), n)
		}
	case kindUnion:
		if n == 0 || n > 256 {
			return fmt.Errorf("union has %d alternatives", n)
		}
	default:
		if n != 0 {
			return fmt.Errorf("%s has %d subtypes", t.kindName(), n)
		}
	}
	if t.kind == kindDecimal {
		if t.hasPrec && (t.precision < 1 || t.precision > maxDecimalPrecision) {
			return fmt.Errorf("decimal precision %d is outside 1..%d", t.precision, maxDecimalPrecision)
		}
		if t.hasPrec && t.scale > t.precision {
			return fmt.Errorf("decimal scale %d is greater than its precision %d", t.scale, t.precision)
		}
	}
	return nil
}

func (t *orcType) kindName() string {
	if name, ok := kindNames[t.kind]; ok {
		return name
	}
	return "kind" + strconv.FormatUint(t.kind, 10)
}

// String renders the schema canonically, in the style of Hive type names:
// struct<a:int,b:decimal(10,2)>, with attributes in braces after a type and
// any unknown Type fields as hex, so that two files render the same string
// only when their footers describe the same columns.
func (s *schema) String() string {
	var b strings.Builder
	s.render(&b, 0)
	return b.String()
}

func (s *schema) render(b *strings.Builder, id uint64) {
	t := s.types[id]
	b.WriteString(t.kindName())
	switch t.kind {
	case kindDecimal:
		if t.hasPrec || t.hasScale {
			fmt.Fprintf(b, "(%d,%d)", t.precision, t.scale)
		}
	case kindVarchar, kindChar:
		if t.hasMaxLen {
			fmt.Fprintf(b, "(%d)", t.maxLength)
		}
	case kindList, kindMap, kindUnion:
		b.WriteByte('<')
		for i, sub := range t.subtypes {
			if i > 0 {
				b.WriteByte(',')
			}
			s.render(b, sub)
		}
		b.WriteByte('>')
	case kindStruct:
		b.WriteByte('<')
		for i, sub := range t.subtypes {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(fieldName(t.fieldNames[i]))
			b.WriteByte(':')
			s.render(b, sub)
		}
		b.WriteByte('>')
	}
	if len(t.attrs) > 0 {
		b.WriteByte('{')
		for i, kv := range t.attrs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(kv[0]) + "=" + strconv.Quote(kv[1]))
		}
		b.WriteByte('}')
	}
	if len(t.unknown) > 0 {
		b.WriteString("[" + hex.EncodeToString(t.unknown) + "]")
	}
}

// fieldName quotes a struct field name with backticks unless it is a plain
// identifier.
func fieldName(name string) string {
	plain := name != ""
	for _, r := range name {
		ident := r == '_' || r == '$' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ident {
			plain = false
			break
		}
	}
	if plain {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
