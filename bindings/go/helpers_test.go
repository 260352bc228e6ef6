package sparseflow_test

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"sparseflow.dev/sparseflow"
)

// f16 and bf16 conversions, for test data and the fp64 reference.

func f16FromFloat32(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int((b>>23)&0xff) - 127 + 15
	mant := b & 0x7fffff
	if exp >= 31 {
		return sign | 0x7c00
	}
	if exp <= 0 {
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint(14 - exp)
		r := mant >> shift
		rem, half := mant&(1<<shift-1), uint32(1)<<(shift-1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(exp)<<10 | mant>>13
	if rem := mant & 0x1fff; rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++
	}
	return sign | uint16(r)
}

func f16ToFloat64(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, mant := int(h>>10)&0x1f, float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(mant, -24)
	case 31:
		if mant != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1+mant/1024, exp-15)
}

func bf16FromFloat32(f float32) uint16 {
	b := math.Float32bits(f)
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

func bf16ToFloat64(h uint16) float64 { return float64(math.Float32frombits(uint32(h) << 16)) }

func toFloat64(dtype sparseflow.DType, h uint16) float64 {
	if dtype == sparseflow.DTypeBF16 {
		return bf16ToFloat64(h)
	}
	return f16ToFloat64(h)
}

func fromFloat32(dtype sparseflow.DType, f float32) uint16 {
	if dtype == sparseflow.DTypeBF16 {
		return bf16FromFloat32(f)
	}
	return f16FromFloat32(f)
}

// randomMatrix returns rows x cols values (leading dimension ld, padding filled with pad) in
// [-1, 1), a quarter of them from a coarse set so that ties, +0 and -0 occur.
func randomMatrix(dtype sparseflow.DType, rows, cols, ld int, pad uint16, seed int64) []uint16 {
	rng := rand.New(rand.NewSource(seed))
	m := make([]uint16, (rows-1)*ld+cols)
	for i := range m {
		m[i] = pad
	}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			var v float32
			if rng.Intn(4) == 0 {
				v = float32(rng.Intn(9)-4) / 4
				if v == 0 && rng.Intn(2) == 0 {
					v = float32(math.Copysign(0, -1))
				}
			} else {
				v = rng.Float32()*2 - 1
			}
			m[r*ld+c] = fromFloat32(dtype, v)
		}
	}
	return m
}

// referencePrune applies the documented rule: per group of 4, keep the 2 largest magnitudes
// (bit pattern with the sign cleared; ties to the lower index) bit for bit, +0 elsewhere.
func referencePrune[T uint16 | uint32](rows, cols int, src []T, ld int, signMask T) []T {
	out := make([]T, rows*cols)
	for r := 0; r < rows; r++ {
		for g := 0; g < cols; g += 4 {
			group := src[r*ld+g : r*ld+g+4]
			first, second := -1, -1
			for i := range group {
				if first < 0 || group[i]&^signMask > group[first]&^signMask {
					first = i
				}
			}
			for i := range group {
				if i != first && (second < 0 || group[i]&^signMask > group[second]&^signMask) {
					second = i
				}
			}
			out[r*cols+g+first] = group[first]
			out[r*cols+g+second] = group[second]
		}
	}
	return out
}

// extract returns the rows x cols elements of m (leading dimension ld), densely packed.
func extract[T any](rows, cols int, m []T, ld int) []T {
	out := make([]T, 0, rows*cols)
	for r := 0; r < rows; r++ {
		out = append(out, m[r*ld:r*ld+cols]...)
	}
	return out
}

// requireStatus checks that err is an *Error with the status and a message holding each needle.
func requireStatus(t *testing.T, err error, status sparseflow.Status, needles ...string) {
	t.Helper()
	e, ok := err.(*sparseflow.Error)
	if !ok {
		t.Fatalf("want *sparseflow.Error with status %d (%s), got %T %v", status, status, err, err)
	}
	if e.Status != status {
		t.Fatalf("want status %d (%s), got %d (%s): %q", status, status, e.Status, e.Status, e.Message)
	}
	for _, needle := range needles {
		if !strings.Contains(e.Message, needle) {
			t.Fatalf("message %q does not mention %q", e.Message, needle)
		}
	}
}
