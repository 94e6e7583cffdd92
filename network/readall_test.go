package network

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// readAll returns exactly the body whatever length was announced, and a
// large announced length with a short body does not make it allocate.
func TestReadAll(t *testing.T) {
	body := bytes.Repeat([]byte("jukinet "), 200_000) // 1.6 MB
	for _, c := range []struct {
		name   string
		length int64
	}{{"exact", int64(len(body))}, {"unknown", -1}, {"announced shorter", 1000}, {"announced longer", int64(len(body)) * 3},
		{"over the limit", 1 << 40}} {
		for _, one := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(body)
			if one {
				r = iotest.OneByteReader(bytes.NewReader(body[:5000]))
			}
			got, err := readAll(r, c.length, 64<<20)
			want := body
			if one {
				want = body[:5000]
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s (one byte at a time %v): %d bytes, %v; want %d", c.name, one, len(got), err, len(want))
			}
		}
	}
	got, err := readAll(bytes.NewReader([]byte("short")), 60<<20, 64<<20)
	if err != nil || string(got) != "short" || cap(got) > 256<<10 {
		t.Errorf("60 MB announced, 5 bytes sent: %q, cap %d, %v; want the 5 bytes in at most 256 KB", got, cap(got), err)
	}
	if _, err := readAll(iotest.ErrReader(io.ErrUnexpectedEOF), 100, 1000); err != io.ErrUnexpectedEOF {
		t.Errorf("a failing reader: %v", err)
	}
}
