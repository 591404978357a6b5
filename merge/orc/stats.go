package orc

// Merging of file-level column statistics. The merged footer's statistics
// for each column combine the inputs' as an ORC writer would have computed
// them over all the rows:
//
//   - numberOfValues and bytesOnDisk are summed; hasNull is OR-ed (and left
//     out when an input does not record it, which readers take as "may
//     have nulls");
//   - integer, double, string, date, timestamp, decimal and collection
//     minimum/maximum take the smallest/largest of the inputs'; sums are
//     added (an integer, string-length or binary-length sum that overflows
//     int64, or a decimal sum beyond 38 digits, is left out, as ORC's own
//     writers do on overflow); boolean bucket counts are added;
//   - an input that has values but lacks a minimum, maximum or sum makes
//     that part of the merged statistic unknown, so it is left out.
//
// When the typed part cannot be merged safely (inputs disagree on which kind
// of statistic they hold, a typed message has fields this merger does not
// know, a double is NaN, a decimal does not parse) the typed part is dropped
// and only numberOfValues and hasNull are kept: readers then treat the
// column as having unknown bounds, which is always correct. Unknown
// ColumnStatistics fields cannot be combined and are dropped too. A single
// input's statistics are copied as they are.

import (
	"bytes"
	"math"
	"math/big"
	"math/bits"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// ColumnStatistics field numbers.
const (
	csNumberOfValues = 1
	csInt            = 2
	csDouble         = 3
	csString         = 4
	csBucket         = 5
	csDecimal        = 6
	csDate           = 7
	csBinary         = 8
	csTimestamp      = 9
	csHasNull        = 10
	csBytesOnDisk    = 11
	csCollection     = 12
)

// statsMerger accumulates the statistics of one column over several inputs.
type statsMerger struct {
	inputs   int
	first    []byte // the first input's statistics, copied when alone
	values   uint64
	valuesOK bool
	hasNull  bool
	nullOK   bool
	disk     uint64
	diskOK   bool
	// typed is the field number of the typed statistic, 0 before any input
	// with values has one; typedOK turns false when it cannot be merged.
	typed   protowire.Number
	typedOK bool
	acc     typedAcc
}

// typedAcc merges one kind of typed statistic.
type typedAcc interface {
	// add merges one input's typed message; values is its numberOfValues.
	// It returns false when the message cannot be merged.
	add(msg []byte, values uint64) bool
	// marshal encodes the merged typed message.
	marshal() []byte
}

func newStatsMerger() *statsMerger {
	return &statsMerger{valuesOK: true, nullOK: true, diskOK: true, typedOK: true}
}

// add merges one input's ColumnStatistics message. It fails only when the
// message is not valid protobuf.
func (m *statsMerger) add(msg []byte) error {
	m.inputs++
	if m.inputs == 1 {
		m.first = msg
	}
	var (
		values, disk        uint64
		hasValues, hasDisk  bool
		hasNull, hasHasNull bool
		typed               []wireField
	)
	err := forEachField(msg, func(f wireField) error {
		switch {
		case f.num == csNumberOfValues && f.typ == protowire.VarintType:
			values, hasValues = f.val, true
		case f.num == csHasNull && f.typ == protowire.VarintType:
			hasNull, hasHasNull = f.val != 0, true
		case f.num == csBytesOnDisk && f.typ == protowire.VarintType:
			disk, hasDisk = f.val, true
		case typedField(f.num) && f.typ == protowire.BytesType:
			typed = append(typed, f)
		}
		// Other fields are unknown to the merger and dropped.
		return nil
	})
	if err != nil {
		return err
	}
	m.addCounts(values, hasValues, hasNull, hasHasNull, disk, hasDisk)
	m.addTyped(typed, values)
	return nil
}

func (m *statsMerger) addCounts(values uint64, hasValues, hasNull, hasHasNull bool, disk uint64, hasDisk bool) {
	var carry uint64
	m.values, carry = bits.Add64(m.values, values, 0)
	m.valuesOK = m.valuesOK && hasValues && carry == 0
	m.hasNull = m.hasNull || hasNull
	m.nullOK = m.nullOK && hasHasNull
	m.disk, carry = bits.Add64(m.disk, disk, 0)
	m.diskOK = m.diskOK && hasDisk && carry == 0
}

func (m *statsMerger) addTyped(typed []wireField, values uint64) {
	if !m.typedOK {
		return
	}
	switch {
	case len(typed) > 1:
		m.typedOK = false
	case len(typed) == 0:
		// Without values there is nothing to bound; otherwise the bounds
		// of this input are unknown.
		if values > 0 {
			m.typedOK = false
		}
	case m.typed == 0:
		m.typed = typed[0].num
		m.acc = newTypedAcc(m.typed)
		m.typedOK = m.acc.add(typed[0].buf, values)
	case m.typed != typed[0].num:
		m.typedOK = false
	default:
		m.typedOK = m.acc.add(typed[0].buf, values)
	}
}

// marshal encodes the merged statistics.
func (m *statsMerger) marshal() []byte {
	if m.inputs == 1 {
		return m.first
	}
	var b []byte
	if m.valuesOK {
		b = appendUintField(b, csNumberOfValues, m.values)
	}
	if m.typedOK && m.typed != 0 {
		b = appendBytesField(b, m.typed, m.acc.marshal())
	}
	if m.nullOK {
		b = appendUintField(b, csHasNull, protowire.EncodeBool(m.hasNull))
	}
	if m.diskOK {
		b = appendUintField(b, csBytesOnDisk, m.disk)
	}
	return b
}

func typedField(n protowire.Number) bool {
	switch n {
	case csInt, csDouble, csString, csBucket, csDecimal, csDate, csBinary, csTimestamp, csCollection:
		return true
	}
	return false
}

func newTypedAcc(n protowire.Number) typedAcc {
	switch n {
	case csInt:
		return &intAcc{sintAcc: newSintAcc(true, true)}
	case csDate:
		return &intAcc{sintAcc: newSintAcc(true, false)}
	case csBinary:
		return &intAcc{sintAcc: newSintAcc(false, true), sumOnly: true}
	case csDouble:
		return &doubleAcc{minMaxOK: true, sumOK: true}
	case csString:
		return &stringAcc{minOK: true, maxOK: true, sumOK: true}
	case csBucket:
		return &bucketAcc{ok: true}
	case csDecimal:
		return &decimalAcc{minMaxOK: true, sumOK: true}
	case csTimestamp:
		return &timestampAcc{ok: true}
	case csCollection:
		return &collectionAcc{minOK: true, maxOK: true, sumOK: true}
	}
	panic("orc: no accumulator for statistics field")
}

// sintAcc merges a zigzag minimum (field 1), maximum (2) and sum (3).
type sintAcc struct {
	withMinMax, withSum bool
	have                bool
	min, max, sum       int64
	minMaxOK, sumOK     bool
}

func newSintAcc(minMax, sum bool) sintAcc {
	return sintAcc{withMinMax: minMax, withSum: sum, minMaxOK: true, sumOK: true}
}

// intAcc merges IntegerStatistics, DateStatistics (minimum and maximum
// only) and BinaryStatistics (sum only, in field 1).
type intAcc struct {
	sintAcc
	sumOnly bool
}

func (a *intAcc) add(msg []byte, values uint64) bool {
	var hasMin, hasMax, hasSum bool
	var lo, hi, sum int64
	ok := true
	err := forEachField(msg, func(f wireField) error {
		if f.typ != protowire.VarintType {
			ok = false
			return nil
		}
		v := protowire.DecodeZigZag(f.val)
		switch {
		case a.sumOnly && f.num == 1:
			sum, hasSum = v, true
		case !a.sumOnly && f.num == 1:
			lo, hasMin = v, true
		case !a.sumOnly && f.num == 2:
			hi, hasMax = v, true
		case !a.sumOnly && f.num == 3 && a.withSum:
			sum, hasSum = v, true
		default:
			ok = false
		}
		return nil
	})
	if err != nil || !ok {
		return false
	}
	if a.withMinMax {
		switch {
		case hasMin && hasMax:
			if !a.have {
				a.min, a.max = lo, hi
			} else {
				a.min, a.max = min(a.min, lo), max(a.max, hi)
			}
			a.have = true
		case values > 0:
			a.minMaxOK = false
		}
	}
	if a.withSum {
		switch {
		case hasSum:
			s := a.sum + sum
			if (sum > 0 && s < a.sum) || (sum < 0 && s > a.sum) {
				a.sumOK = false
			}
			a.sum = s
		case values > 0:
			a.sumOK = false
		}
	}
	return true
}

func (a *intAcc) marshal() []byte {
	var b []byte
	if a.sumOnly {
		if a.sumOK {
			b = appendSintField(b, 1, a.sum)
		}
		return b
	}
	if a.withMinMax && a.minMaxOK && a.have {
		b = appendSintField(b, 1, a.min)
		b = appendSintField(b, 2, a.max)
	}
	if a.withSum && a.sumOK {
		b = appendSintField(b, 3, a.sum)
	}
	return b
}

// doubleAcc merges DoubleStatistics.
type doubleAcc struct {
	have            bool
	min, max, sum   float64
	minMaxOK, sumOK bool
}

func (a *doubleAcc) add(msg []byte, values uint64) bool {
	var lo, hi, sum float64
	var hasMin, hasMax, hasSum bool
	ok := true
	err := forEachField(msg, func(f wireField) error {
		if f.typ != protowire.Fixed64Type {
			ok = false
			return nil
		}
		v := math.Float64frombits(f.val)
		switch f.num {
		case 1:
			lo, hasMin = v, true
		case 2:
			hi, hasMax = v, true
		case 3:
			sum, hasSum = v, true
		default:
			ok = false
		}
		return nil
	})
	if err != nil || !ok {
		return false
	}
	switch {
	case hasMin && hasMax && !math.IsNaN(lo) && !math.IsNaN(hi):
		if !a.have {
			a.min, a.max = lo, hi
		} else {
			a.min, a.max = math.Min(a.min, lo), math.Max(a.max, hi)
		}
		a.have = true
	case hasMin || hasMax || values > 0:
		a.minMaxOK = false
	}
	switch {
	case hasSum:
		a.sum += sum
	case values > 0:
		a.sumOK = false
	}
	return true
}

func (a *doubleAcc) marshal() []byte {
	var b []byte
	if a.minMaxOK && a.have {
		b = protowire.AppendTag(b, 1, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(a.min))
		b = protowire.AppendTag(b, 2, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(a.max))
	}
	if a.sumOK {
		b = protowire.AppendTag(b, 3, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(a.sum))
	}
	return b
}

// bound is a string minimum or maximum; exact is false for a truncated
// lowerBound or upperBound.
type bound struct {
	value []byte
	exact bool
	set   bool
}

// stringAcc merges StringStatistics: minimum (1), maximum (2), sum (3),
// lowerBound (4) and upperBound (5). Strings compare as UTF-8 bytes, as ORC
// orders them.
type stringAcc struct {
	lo, hi              bound
	minOK, maxOK, sumOK bool
	sum                 int64
}

func (a *stringAcc) add(msg []byte, values uint64) bool {
	var lo, hi bound
	var sum int64
	var hasSum bool
	ok := true
	err := forEachField(msg, func(f wireField) error {
		switch {
		case f.num >= 1 && f.num <= 5 && f.num != 3 && f.typ == protowire.BytesType:
			b := bound{value: f.buf, exact: f.num <= 2, set: true}
			if f.num == 1 || f.num == 4 {
				lo = better(lo, b, -1)
			} else {
				hi = better(hi, b, 1)
			}
		case f.num == 3 && f.typ == protowire.VarintType:
			sum, hasSum = protowire.DecodeZigZag(f.val), true
		default:
			ok = false
		}
		return nil
	})
	if err != nil || !ok {
		return false
	}
	a.lo, a.minOK = mergeBound(a.lo, lo, a.minOK, values, -1)
	a.hi, a.maxOK = mergeBound(a.hi, hi, a.maxOK, values, 1)
	switch {
	case hasSum:
		s := a.sum + sum
		if (sum > 0 && s < a.sum) || (sum < 0 && s > a.sum) {
			a.sumOK = false
		}
		a.sum = s
	case values > 0:
		a.sumOK = false
	}
	return true
}

// mergeBound folds an input's bound into the running one; dir is -1 for a
// minimum and 1 for a maximum.
func mergeBound(acc, in bound, ok bool, values uint64, dir int) (bound, bool) {
	if !in.set {
		return acc, ok && values == 0
	}
	return better(acc, in, dir), ok
}

// better returns the smaller (dir -1) or larger (dir 1) of two bounds; on a
// tie the exact one wins, since it is then the exact extreme of both.
func better(a, b bound, dir int) bound {
	if !a.set {
		return b
	}
	if !b.set {
		return a
	}
	c := bytes.Compare(b.value, a.value) * dir
	if c > 0 || (c == 0 && b.exact && !a.exact) {
		return b
	}
	return a
}

func (a *stringAcc) marshal() []byte {
	var b []byte
	if a.minOK && a.lo.set {
		b = appendBytesField(b, boundField(a.lo, 1, 4), a.lo.value)
	}
	if a.maxOK && a.hi.set {
		b = appendBytesField(b, boundField(a.hi, 2, 5), a.hi.value)
	}
	if a.sumOK {
		b = appendSintField(b, 3, a.sum)
	}
	return b
}

func boundField(b bound, exact, truncated protowire.Number) protowire.Number {
	if b.exact {
		return exact
	}
	return truncated
}

// bucketAcc merges BucketStatistics (boolean columns: the count of true
// values), adding the counts element-wise.
type bucketAcc struct {
	counts []uint64
	have   bool
	ok     bool
}

func (a *bucketAcc) add(msg []byte, values uint64) bool {
	var counts []uint64
	var has bool
	ok := true
	err := forEachField(msg, func(f wireField) error {
		if f.num != 1 {
			ok = false
			return nil
		}
		v, err := f.uints()
		if err != nil {
			ok = false
			return nil
		}
		counts, has = append(counts, v...), true
		return nil
	})
	if err != nil || !ok {
		return false
	}
	switch {
	case !has:
		a.ok = a.ok && values == 0
	case !a.have:
		a.counts, a.have = counts, true
	case len(counts) != len(a.counts):
		a.ok = false
	default:
		for i, c := range counts {
			var carry uint64
			a.counts[i], carry = bits.Add64(a.counts[i], c, 0)
			a.ok = a.ok && carry == 0
		}
	}
	return true
}

func (a *bucketAcc) marshal() []byte {
	if !a.ok || !a.have {
		return nil
	}
	var packed []byte
	for _, c := range a.counts {
		packed = protowire.AppendVarint(packed, c)
	}
	return appendBytesField(nil, 1, packed)
}

// decimalAcc merges DecimalStatistics, whose minimum, maximum and sum are
// decimal strings.
type decimalAcc struct {
	lo, hi          *big.Rat
	loStr, hiStr    []byte
	sum             *big.Rat
	scale           int
	minMaxOK, sumOK bool
}

func (a *decimalAcc) add(msg []byte, values uint64) bool {
	var lo, hi, sum []byte
	ok := true
	err := forEachField(msg, func(f wireField) error {
		if f.typ != protowire.BytesType || f.num < 1 || f.num > 3 {
			ok = false
			return nil
		}
		switch f.num {
		case 1:
			lo = f.buf
		case 2:
			hi = f.buf
		case 3:
			sum = f.buf
		}
		return nil
	})
	if err != nil || !ok {
		return false
	}
	switch {
	case lo != nil && hi != nil:
		l, okL := parseDecimal(lo)
		h, okH := parseDecimal(hi)
		if !okL || !okH {
			return false
		}
		if a.lo == nil || l.Cmp(a.lo) < 0 {
			a.lo, a.loStr = l, lo
		}
		if a.hi == nil || h.Cmp(a.hi) > 0 {
			a.hi, a.hiStr = h, hi
		}
	case lo != nil || hi != nil || values > 0:
		a.minMaxOK = false
	}
	switch {
	case sum != nil:
		s, okS := parseDecimal(sum)
		if !okS {
			return false
		}
		if a.sum == nil {
			a.sum = new(big.Rat)
		}
		a.sum.Add(a.sum, s)
		a.scale = max(a.scale, decimalScale(sum))
	case values > 0:
		a.sumOK = false
	}
	return true
}

func (a *decimalAcc) marshal() []byte {
	var b []byte
	if a.minMaxOK && a.lo != nil {
		b = appendBytesField(b, 1, a.loStr)
		b = appendBytesField(b, 2, a.hiStr)
	}
	if a.sumOK && a.sum != nil {
		s := a.sum.FloatString(a.scale)
		digits := strings.TrimLeft(strings.Replace(strings.TrimPrefix(s, "-"), ".", "", 1), "0")
		if len(digits) <= maxDecimalPrecision {
			b = appendBytesField(b, 3, []byte(s))
		}
	}
	return b
}

// parseDecimal parses a plain decimal string ("-12.50"); exponents are not
// used by ORC writers and are rejected.
func parseDecimal(s []byte) (*big.Rat, bool) {
	if len(s) == 0 || len(s) > 100 || bytes.ContainsAny(s, "eE/") {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(string(s))
	return r, ok
}

// decimalScale returns the number of digits after the point.
func decimalScale(s []byte) int {
	if i := bytes.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// tsBound is a timestamp minimum or maximum: milliseconds in the writer's
// time zone and in UTC, and the nanoseconds within the millisecond (stored
// plus one; 0 when absent).
type tsBound struct {
	local, utc       int64
	hasLocal, hasUTC bool
	nanos            uint64
	set              bool
}

// timestampAcc merges TimestampStatistics: minimum (1), maximum (2),
// minimumUtc (3), maximumUtc (4), minimumNanos (5), maximumNanos (6). All
// inputs must record the same clocks; bounds are compared in UTC when they
// have it and in writer-local time otherwise.
type timestampAcc struct {
	lo, hi tsBound
	ok     bool
}

func (a *timestampAcc) add(msg []byte, values uint64) bool {
	var lo, hi tsBound
	ok := true
	err := forEachField(msg, func(f wireField) error {
		if f.typ != protowire.VarintType || f.num < 1 || f.num > 6 {
			ok = false
			return nil
		}
		v := protowire.DecodeZigZag(f.val)
		switch f.num {
		case 1:
			lo.local, lo.hasLocal, lo.set = v, true, true
		case 2:
			hi.local, hi.hasLocal, hi.set = v, true, true
		case 3:
			lo.utc, lo.hasUTC, lo.set = v, true, true
		case 4:
			hi.utc, hi.hasUTC, hi.set = v, true, true
		case 5:
			lo.nanos = f.val
		case 6:
			hi.nanos = f.val
		}
		return nil
	})
	if err != nil || !ok {
		return false
	}
	if !lo.set || !hi.set {
		a.ok = a.ok && values == 0 && !lo.set && !hi.set
		return true
	}
	if a.lo.set && (lo.hasUTC != a.lo.hasUTC || lo.hasLocal != a.lo.hasLocal ||
		hi.hasUTC != a.hi.hasUTC || hi.hasLocal != a.hi.hasLocal) {
		a.ok = false
		return true
	}
	if !a.lo.set || tsLess(lo, a.lo, 0) {
		a.lo = lo
	}
	if !a.hi.set || tsLess(a.hi, hi, 999_999) {
		a.hi = hi
	}
	return true
}

// tsLess orders two bounds; absentNanos is the sub-millisecond value an
// absent nanos field stands for (0 for a minimum, 999999 for a maximum).
func tsLess(x, y tsBound, absentNanos uint64) bool {
	kx, ky := x.local, y.local
	if x.hasUTC {
		kx, ky = x.utc, y.utc
	}
	if kx != ky {
		return kx < ky
	}
	nx, ny := absentNanos, absentNanos
	if x.nanos > 0 {
		nx = x.nanos - 1
	}
	if y.nanos > 0 {
		ny = y.nanos - 1
	}
	return nx < ny
}

func (a *timestampAcc) marshal() []byte {
	if !a.ok || !a.lo.set {
		return nil
	}
	var b []byte
	if a.lo.hasLocal {
		b = appendSintField(b, 1, a.lo.local)
		b = appendSintField(b, 2, a.hi.local)
	}
	if a.lo.hasUTC {
		b = appendSintField(b, 3, a.lo.utc)
		b = appendSintField(b, 4, a.hi.utc)
	}
	if a.lo.nanos > 0 {
		b = appendUintField(b, 5, a.lo.nanos)
	}
	if a.hi.nanos > 0 {
		b = appendUintField(b, 6, a.hi.nanos)
	}
	return b
}

// collectionAcc merges CollectionStatistics: minChildren (1), maxChildren
// (2) and totalChildren (3), all unsigned.
type collectionAcc struct {
	lo, hi, sum         uint64
	have                bool
	minOK, maxOK, sumOK bool
}

func (a *collectionAcc) add(msg []byte, values uint64) bool {
	var lo, hi, sum uint64
	var hasLo, hasHi, hasSum bool
	ok := true
	err := forEachField(msg, func(f wireField) error {
		if f.typ != protowire.VarintType || f.num < 1 || f.num > 3 {
			ok = false
			return nil
		}
		switch f.num {
		case 1:
			lo, hasLo = f.val, true
		case 2:
			hi, hasHi = f.val, true
		case 3:
			sum, hasSum = f.val, true
		}
		return nil
	})
	if err != nil || !ok {
		return false
	}
	if values > 0 || hasLo || hasHi {
		a.minOK = a.minOK && hasLo
		a.maxOK = a.maxOK && hasHi
		if !a.have {
			a.lo, a.hi = lo, hi
		} else {
			a.lo, a.hi = min(a.lo, lo), max(a.hi, hi)
		}
		a.have = true
	}
	var carry uint64
	a.sum, carry = bits.Add64(a.sum, sum, 0)
	a.sumOK = a.sumOK && carry == 0 && (hasSum || values == 0)
	return true
}

func (a *collectionAcc) marshal() []byte {
	var b []byte
	if a.have && a.minOK {
		b = appendUintField(b, 1, a.lo)
	}
	if a.have && a.maxOK {
		b = appendUintField(b, 2, a.hi)
	}
	if a.sumOK {
		b = appendUintField(b, 3, a.sum)
	}
	return b
}
