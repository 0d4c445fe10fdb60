package ccache

import (
	"reflect"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, name := range []string{"mit-v4.ccache", "mit-v3.ccache", "mit-v4-renewed.ccache"} {
		f.Add(readFixture(f, name))
	}
	f.Add(post2038Bytes())
	f.Add(sampleCache().Marshal())
	f.Add([]byte{5, 4, 0, 0})
	f.Add([]byte{5, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Parse(in)
		if err != nil {
			return
		}
		again, err := Parse(c.Marshal())
		if err != nil {
			t.Fatalf("Parse(Marshal(c)): %v", err)
		}
		c.Version = 4
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("round trip differs:\n got  %+v\n want %+v", again, c)
		}
	})
}
