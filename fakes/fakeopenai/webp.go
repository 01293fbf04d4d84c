package fakeopenai

import (
	"encoding/binary"
	"image/color"
)

// encodeSolidWebP returns a lossless WebP (VP8L) image of one color.
//
// Go's standard library and golang.org/x/image can decode WebP but not
// encode it. A single-color image needs none of the format's compression:
// each of the five prefix codes is a "simple" code with one symbol, which
// takes zero bits per pixel, so the whole file is a fixed header. The
// field order matches what golang.org/x/image/vp8l v0.48.0 reads.
func encodeSolidWebP(c color.NRGBA, width, height int) []byte {
	var w bitWriter
	w.write(0x2f, 8) // VP8L signature
	w.write(uint32(width-1), 14)
	w.write(uint32(height-1), 14)
	alphaUsed := uint32(0)
	if c.A != 0xff {
		alphaUsed = 1
	}
	w.write(alphaUsed, 1)
	w.write(0, 3) // version
	w.write(0, 1) // no transform
	w.write(0, 1) // no color cache
	w.write(0, 1) // no meta prefix codes

	// Green, red, blue, alpha, then distance: one symbol each.
	for _, symbol := range []uint8{c.G, c.R, c.B, c.A} {
		w.write(1, 1) // simple code
		w.write(0, 1) // one symbol
		w.write(1, 1) // the symbol takes 8 bits
		w.write(uint32(symbol), 8)
	}
	w.write(1, 1) // simple code
	w.write(0, 1) // one symbol
	w.write(0, 1) // the symbol takes 1 bit
	w.write(0, 1) // distance symbol 0, never used
	bitstream := w.bytes()

	chunk := make([]byte, 0, 20+len(bitstream)+1)
	chunk = append(chunk, "RIFF"...)
	chunk = binary.LittleEndian.AppendUint32(chunk, 0) // file size, set below
	chunk = append(chunk, "WEBPVP8L"...)
	chunk = binary.LittleEndian.AppendUint32(chunk, uint32(len(bitstream)))
	chunk = append(chunk, bitstream...)
	if len(bitstream)%2 == 1 {
		chunk = append(chunk, 0) // RIFF chunks are padded to an even size.
	}
	binary.LittleEndian.PutUint32(chunk[4:], uint32(len(chunk)-8))
	return chunk
}

// bitWriter packs values least significant bit first, as VP8L reads them.
type bitWriter struct {
	buf   []byte
	acc   uint64
	nBits uint
}

func (w *bitWriter) write(value uint32, n uint) {
	w.acc |= uint64(value&(1<<n-1)) << w.nBits
	w.nBits += n
	for w.nBits >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nBits -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nBits > 0 {
		return append(w.buf, byte(w.acc))
	}
	return w.buf
}
