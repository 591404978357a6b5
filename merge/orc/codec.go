package orc

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"

	"github.com/golang/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/shoalhq/shoal"
)

// CompressionKind values of the PostScript.
const (
	kindNone   = 0
	kindZlib   = 1
	kindSnappy = 2
	kindLZO    = 3
	kindLZ4    = 4
	kindZstd   = 5
	kindBrotli = 6
)

var codecNames = map[uint64]string{
	kindNone:   "none",
	kindZlib:   "zlib",
	kindSnappy: "snappy",
	kindLZO:    "lzo",
	kindLZ4:    "lz4",
	kindZstd:   "zstd",
	kindBrotli: "brotli",
}

const (
	// chunkHeaderLen is the size of the header before each compressed
	// chunk: a 23-bit length and an "original" (stored) flag, little endian.
	chunkHeaderLen = 3
	// maxChunkLen is the largest length a chunk header can hold.
	maxChunkLen = 1<<23 - 1
	// maxBlockSize bounds the compression block size the merger accepts;
	// writers use 256 KiB by default, and a chunk cannot hold more than
	// 8 MiB anyway.
	maxBlockSize = 64 << 20
	// maxSectionLen bounds a decompressed footer, metadata section or stripe
	// footer, so that a corrupt file cannot exhaust memory.
	maxSectionLen = 64 << 20
)

// unsupportedCodecError reports a section compressed with a codec the
// merger cannot decompress (LZO, Brotli).
type unsupportedCodecError struct {
	codec string
}

func (e *unsupportedCodecError) Error() string {
	return e.codec + "-compressed ORC footers are not supported"
}

func isUnsupportedCodec(err error) bool {
	var u *unsupportedCodecError
	return errors.As(err, &u)
}

// decompress returns the content of an ORC compressed stream: a sequence of
// chunks, each with a 3-byte header, as the footer, metadata and stripe
// footers are stored. With kindNone the bytes are stored as they are.
func decompress(kind, blockSize uint64, src []byte) ([]byte, error) {
	if kind == kindNone {
		return src, nil
	}
	var zd *zstd.Decoder
	defer func() {
		if zd != nil {
			zd.Close()
		}
	}()
	var out []byte
	for len(src) > 0 {
		if len(src) < chunkHeaderLen {
			return nil, fmt.Errorf("truncated chunk header (%d bytes left)", len(src))
		}
		h := uint64(src[0]) | uint64(src[1])<<8 | uint64(src[2])<<16
		original, n := h&1 == 1, h>>1
		src = src[chunkHeaderLen:]
		if n > uint64(len(src)) {
			return nil, fmt.Errorf("chunk of %d bytes overruns its section (%d bytes left)", n, len(src))
		}
		chunk := src[:n]
		src = src[n:]
		if original {
			if n > blockSize {
				return nil, fmt.Errorf("stored chunk of %d bytes exceeds the compression block size %d", n, blockSize)
			}
			out = append(out, chunk...)
		} else {
			var err error
			if kind == kindZstd && zd == nil {
				zd, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(blockSize))
				if err != nil {
					return nil, fmt.Errorf("zstd: %w", err)
				}
			}
			if out, err = decompressChunk(kind, blockSize, chunk, out, zd); err != nil {
				return nil, err
			}
		}
		if len(out) > maxSectionLen {
			return nil, fmt.Errorf("section decompresses to more than %d bytes", maxSectionLen)
		}
	}
	return out, nil
}

// decompressChunk appends the decompressed content of one chunk to out.
func decompressChunk(kind, blockSize uint64, chunk, out []byte, zd *zstd.Decoder) ([]byte, error) {
	start := len(out)
	switch kind {
	case kindZlib:
		r := flate.NewReader(bytes.NewReader(chunk))
		buf := bytes.NewBuffer(out)
		_, err := io.Copy(buf, io.LimitReader(r, int64(blockSize)+1)) //nolint:gosec // blockSize <= maxBlockSize
		if err != nil {
			return nil, fmt.Errorf("zlib chunk: %w", err)
		}
		out = buf.Bytes()
	case kindSnappy:
		n, err := snappy.DecodedLen(chunk)
		if err != nil {
			return nil, fmt.Errorf("snappy chunk: %w", err)
		}
		if uint64(n) > blockSize { //nolint:gosec // DecodedLen is never negative
			return nil, fmt.Errorf("snappy chunk decodes to %d bytes, more than the compression block size %d", n, blockSize)
		}
		dec, err := snappy.Decode(nil, chunk)
		if err != nil {
			return nil, fmt.Errorf("snappy chunk: %w", err)
		}
		out = append(out, dec...)
	case kindLZ4:
		// An LZ4 block expands at most 255 times.
		size := min(blockSize, uint64(len(chunk))*255+16)
		dst := make([]byte, size)
		n, err := lz4.UncompressBlock(chunk, dst)
		if err != nil {
			return nil, fmt.Errorf("lz4 chunk: %w", err)
		}
		out = append(out, dst[:n]...)
	case kindZstd:
		var err error
		out, err = zd.DecodeAll(chunk, out)
		if err != nil {
			return nil, fmt.Errorf("zstd chunk: %w", err)
		}
	case kindLZO:
		return nil, &unsupportedCodecError{codec: "LZO"}
	case kindBrotli:
		return nil, &unsupportedCodecError{codec: "Brotli"}
	default:
		return nil, fmt.Errorf("unknown compression kind %d", kind)
	}
	if uint64(len(out)-start) > blockSize { //nolint:gosec // a length is never negative
		return nil, fmt.Errorf("chunk decompresses to more than the compression block size %d", blockSize)
	}
	return out, nil
}

// refuseCodec turns a failure to decompress with an unsupported codec into
// a refusal, and wraps other failures as corruption of the named section.
func refuseCodec(name, section string, err error) error {
	if isUnsupportedCodec(err) {
		return shoal.Refusef("%s: %s", name, err.Error())
	}
	return shoal.Refusef("%s: corrupt ORC %s: %v", name, section, err)
}

// storeChunks frames content as ORC chunks stored "original" (uncompressed),
// which every codec's reader accepts, with no chunk longer than the
// compression block size. With kindNone there are no chunk headers.
func storeChunks(kind, blockSize uint64, content []byte) []byte {
	if kind == kindNone {
		return content
	}
	size := int(min(blockSize, maxChunkLen)) //nolint:gosec // at most maxChunkLen
	out := make([]byte, 0, len(content)+chunkHeaderLen*(len(content)/size+1))
	for len(content) > 0 {
		n := min(size, len(content))
		h := uint32(n)<<1 | 1                               //nolint:gosec // n <= maxChunkLen
		out = append(out, byte(h), byte(h>>8), byte(h>>16)) //nolint:gosec // little-endian bytes of h
		out = append(out, content[:n]...)
		content = content[n:]
	}
	return out
}
