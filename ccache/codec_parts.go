package ccache

import "fmt"

// The KCM protocol and MIT's keyring cache carry single principals and
// credentials in the FILE cache's version 4 encoding, without a file
// header; these expose that encoding piece by piece.

// MarshalPrincipal encodes p as a version 4 cache principal.
func MarshalPrincipal(p Principal) []byte {
	w := &writer{}
	w.principal(p)
	return w.b
}

// MarshalCredential encodes c as a version 4 cache credential.
func MarshalCredential(c Credential) []byte {
	w := &writer{}
	w.credential(&c)
	return w.b
}

// UnmarshalPrincipal decodes exactly one version 4 principal from b;
// trailing bytes are an error wrapping ErrFormat.
func UnmarshalPrincipal(b []byte) (Principal, error) {
	r := &reader{b: b}
	p, err := r.principal("principal")
	if err != nil {
		return Principal{}, err
	}
	if r.left() != 0 {
		return Principal{}, fmt.Errorf("%w: %d bytes after the principal", ErrFormat, r.left())
	}
	return p, nil
}

// UnmarshalCredential decodes exactly one version 4 credential from b;
// trailing bytes are an error wrapping ErrFormat.
func UnmarshalCredential(b []byte) (Credential, error) {
	r := &reader{b: b}
	c, err := r.credential(4)
	if err != nil {
		return Credential{}, err
	}
	if r.left() != 0 {
		return Credential{}, fmt.Errorf("%w: %d bytes after the credential", ErrFormat, r.left())
	}
	return c, nil
}

// DecodePrincipalPrefix decodes one version 4 principal at the start of b
// and returns the bytes after it, for protocols that concatenate fields.
func DecodePrincipalPrefix(b []byte) (Principal, []byte, error) {
	r := &reader{b: b}
	p, err := r.principal("principal")
	if err != nil {
		return Principal{}, nil, err
	}
	return p, b[r.off:], nil
}

// DecodeCredentialPrefix decodes one version 4 credential at the start of
// b and returns the bytes after it.
func DecodeCredentialPrefix(b []byte) (Credential, []byte, error) {
	r := &reader{b: b}
	c, err := r.credential(4)
	if err != nil {
		return Credential{}, nil, err
	}
	return c, b[r.off:], nil
}
