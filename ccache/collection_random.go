package ccache

import "crypto/rand"

// uniqueChars is the alphabet of glibc's mkstemp, which MIT's DIR
// new_unique uses, and of MIT's krb5int_random_string, which its KEYRING
// new_unique uses: names krenew makes look like the ones MIT makes.
const uniqueChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomChars returns n characters of uniqueChars, uniformly: bytes at or
// above the largest multiple of the alphabet's size are drawn again.
func randomChars(n int) (string, error) {
	const limit = 256 - 256%len(uniqueChars)
	out := make([]byte, 0, n)
	var buf [32]byte
	for len(out) < n {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, uniqueChars[int(b)%len(uniqueChars)])
			}
		}
	}
	return string(out), nil
}
