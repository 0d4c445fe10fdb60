package cli

// release is the version at the top of NEWS.md, which a build without
// the Makefile's stamp (go build from a checkout or a tarball) reports;
// TestReleaseIsNEWSRelease keeps the two the same.
const release = "0.1.0"
