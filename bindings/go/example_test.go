package sparseflow_test

import (
	"fmt"
	"log"

	"sparseflow.dev/sparseflow"
)

// Prune a weight to 2:4, compress it, and get it back, all on the host (no GPU needed).
func Example() {
	const rows, cols = 2, 32 // cols (K) a multiple of sparseflow.KGranularity
	// fp16 bit patterns of -2, -1, 0, 1, 2.
	values := []uint16{0xc000, 0xbc00, 0x0000, 0x3c00, 0x4000}
	w := make([]uint16, rows*cols)
	for i := range w {
		w[i] = values[i%5]
	}
	if err := sparseflow.PruneHost(sparseflow.DTypeF16, rows, cols, w, cols, w, cols); err != nil {
		log.Fatal(err)
	}
	violations, err := sparseflow.Check2to4Host(sparseflow.DTypeF16, rows, cols, w, cols)
	if err != nil {
		log.Fatal(err)
	}
	c, err := sparseflow.CompressHost(sparseflow.DTypeF16, rows, cols, w, cols)
	if err != nil {
		log.Fatal(err)
	}
	back := make([]uint16, rows*cols)
	if err := sparseflow.DecompressHost(c, back, cols); err != nil {
		log.Fatal(err)
	}
	fmt.Println("violations:", violations)
	fmt.Println("compressed bytes:", c.Len(), "padded rows:", c.Header().PaddedRows)
	// -2 -1 0 1: keeps -2 and, of the tied -1 and 1, the lower column.
	fmt.Printf("first group: %#04x %#04x %#04x %#04x\n", back[0], back[1], back[2], back[3])

	_, err = sparseflow.CompressHost(sparseflow.DTypeF16, rows, 36, w, 36)
	fmt.Println(err)
	// Output:
	// violations: 0
	// compressed bytes: 832 padded rows: 16
	// first group: 0xc000 0xbc00 0x0000 0x0000
	// sparseflow: K is not a multiple of the required granularity (status 3): sf_compressed_size: cols (K) = 36 is not a multiple of 32
}
