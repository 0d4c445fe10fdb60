# krenew: build, test, install. `make test` is what CI runs (.ci/run).
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Debian's zsh reads vendor-completions under /usr, site-functions elsewhere.
ZSHCOMPDIR  ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
USERUNITDIR ?= $(PREFIX)/lib/systemd/user
GO          ?= go
FUZZTIME    ?= 5s
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# nfpm builds the .deb and the .rpm from one description without dpkg-deb
# or rpmbuild (packaging/nfpm.yaml).
NFPM        ?= $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
DIST        ?= dist
MAINTAINER  ?= The krenew authors <krenew@example.org>
# What the packages and `krenew --version` call this build (packaging/version.sh).
ifndef VERSION
VERSION := $(shell sh packaging/version.sh)
endif

UNITS := $(wildcard contrib/systemd/*.service)

.PHONY: all build test lint unit unprivileged quick fuzz bench install uninstall package package-test demo clean heimdal

all: build

# The shipped binary, built as lean as a Go daemon gets (issue 14):
# static, so that no libc is mapped into each of many idle daemons and
# start-up skips the dynamic loader; without urfave/cli's docs generator
# and flag suggestions (blackfriday, go-md2man, smetrics), which krenew
# never uses and which cost init time; without symbol table and DWARF
# (panics still print stack traces); with VERSION for --version. `go
# install` users get the same, --version naming the module version, with
#   CGO_ENABLED=0 go install -trimpath -tags $(BUILDTAGS) -ldflags='-s -w'
# (README, Installing). internal/e2e/build_test.go checks the result.
BUILDTAGS := urfave_cli_no_docs,urfave_cli_no_suggest
BUILD     := CGO_ENABLED=0 $(GO) build -trimpath -tags $(BUILDTAGS) \
	-ldflags='-s -w -X github.com/krenew/krenew/internal/cli.buildVersion=$(VERSION)'
OUT       ?= krenew

build:
	$(BUILD) -o $(OUT) .

# install needs only an up-to-date binary, so that `make && sudo make
# install` does not rebuild as root (where go may not be on PATH).
GOFILES := $(shell find . -name '*.go' -not -name '*_test.go' -not -path './internal/*' -not -path './bench/*') $(shell find ./internal/cli -name '*.go' -not -name '*_test.go') go.mod go.sum
krenew: $(GOFILES)
	$(BUILD) -o krenew .

# lint: formatting, vet, staticcheck and the man page, the cheap failures
# first. The packagetest tag adds package-test's file, so it is checked too.
lint:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet -tags packagetest ./...
	$(STATICCHECK) -tags packagetest ./...
	@out=$$(groff -man -Tutf8 -ww -z man/krenew.1 2>&1); if [ -n "$$out" ]; then echo "man/krenew.1: $$out"; exit 1; fi

# The Heimdal KDC tests run Debian's heimdal-kdc unpacked into HEIMDAL:
# installed, it would replace MIT's clients, the tests' oracles. Where it
# cannot be downloaded they skip, or fail with CI=true.
HEIMDAL ?= $(CURDIR)/.heimdal
export KRENEW_HEIMDAL := $(HEIMDAL)
heimdal:
	@sh internal/testkdc/unpack-heimdal.sh $(HEIMDAL)

# The tests mostly wait on short-lived tickets, so many run at once.
# -v only so that the fault suite's counts (runs, faults injected,
# failures) reach the output; each package's line shows as it finishes,
# the full log when something fails, and a last line counts what passed,
# failed and was skipped, with each skip's reason (testsummary.awk).
unit: heimdal
	@echo "$(GO) test -race -count=1 -parallel 8 -timeout 12m -v ./... (log: unit.log)"
	@{ $(GO) test -race -count=1 -parallel 8 -timeout 12m -v ./... 2>&1; echo $$? > unit.status; } | tee unit.log | \
		grep --line-buffered -E '^(ok|FAIL|panic:)|faults: runs='; \
	status=$$(cat unit.status); rm -f unit.status; \
	if [ $$status -ne 0 ]; then grep -vE '^=== (RUN|PAUSE|CONT|NAME)' unit.log; fi; \
	awk -v logfile=unit.log -f testsummary.awk unit.log; \
	exit $$status

# quick is the fast loop while changing code: -short skips the tests that
# wait ten seconds or more on real time (renewable lifetimes running out,
# KDC outages, the fault suite's long halves), and there is no -race. The
# KDC, KCM and keyring tests still run. CI runs `make test`, never this.
quick: heimdal
	$(GO) test -short -count=1 -parallel 8 ./...

# Each fuzz target runs for FUZZTIME on top of its seed corpus.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./ccache/
	$(GO) test -run '^$$' -fuzz '^FuzzKCMReply$$' -fuzztime $(FUZZTIME) ./ccache/
	$(GO) test -run '^$$' -fuzz '^FuzzParseKrbDuration$$' -fuzztime $(FUZZTIME) ./internal/cli/
	$(GO) test -run '^$$' -fuzz '^FuzzString$$' -fuzztime $(FUZZTIME) ./internal/escape/

# package-test runs after the rest, never beside it: it moves kstart's
# krenew aside, which the comparison tests run.
test: lint unit unprivileged fuzz
	@$(MAKE) --no-print-directory package-test

# unprivileged: root passes permission checks that users fail, so as root
# the packages' own tests run once more as an ordinary user (-short; the
# end-to-end tests build with go, which that user may not have). The test
# binaries are built as root and run from a world-readable copy of the
# tree, whatever the checkout's permissions.
UNPRIVILEGED_USER ?= krenew-test
UNPRIVILEGED_PKGS := ccache daemon internal/cli prompt renew renew/krb5conf internal/testkdc internal/testkcm internal/osuser internal/ptytest
unprivileged:
	@if [ "$$(id -u)" -ne 0 ]; then echo "unprivileged: not root, so make unit already ran as an ordinary user"; exit 0; fi; \
	id -u $(UNPRIVILEGED_USER) >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin $(UNPRIVILEGED_USER) || exit 1; \
	dir=$$(mktemp -d) && chmod 755 $$dir && git ls-files -z | xargs -0 cp --parents -t $$dir && chmod -R a+rX $$dir || exit 1; \
	echo "unprivileged: the packages' tests as $(UNPRIVILEGED_USER) (log: unprivileged.log)"; : > unprivileged.log; status=0; \
	for p in $(UNPRIVILEGED_PKGS); do \
		bin=$$dir/$$(echo $$p | tr / _).test; \
		$(GO) test -c -o $$bin ./$$p || { status=1; break; }; chmod 755 $$bin; \
		(cd $$dir/$$p && runuser -u $(UNPRIVILEGED_USER) -- env HOME=$$dir PATH="$$PATH" $$bin -test.short -test.v -test.timeout 5m) >> unprivileged.log 2>&1; \
		rc=$$?; if [ $$rc -eq 0 ]; then echo "ok   $$p"; else echo "FAIL $$p"; status=1; fi; \
	done; \
	rm -rf $$dir; \
	if [ $$status -ne 0 ]; then grep -vE '^=== (RUN|PAUSE|CONT|NAME)' unprivileged.log; fi; \
	awk -v logfile=unprivileged.log -f testsummary.awk unprivileged.log | sed 's/^unit:/unprivileged:/'; \
	exit $$status

# bench measures krenew against kstart's krenew and MIT kinit on a
# throwaway KDC and writes bench/RESULTS.md; it is never part of `make test`.
bench: krenew
	@command -v k5start >/dev/null || { \
		if [ "$$(id -u)" -ne 0 ]; then echo "bench: kstart is not installed; install it as root: apt-get install kstart" >&2; exit 1; fi; \
		echo "bench: installing kstart"; apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y kstart; }
	$(GO) run ./bench -krenew ./krenew -out bench/RESULTS.md $(BENCHFLAGS)

# install puts every file where a distribution would; uninstall removes
# exactly those (install_test.go compares the lists). BIN is the binary to
# install (package builds its own).
BIN ?= krenew
install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) $(DESTDIR)$(USERUNITDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/krenew
	install -m 0644 man/krenew.1 $(DESTDIR)$(MANDIR)/man1/krenew.1
	install -m 0644 completions/krenew.bash $(DESTDIR)$(BASHCOMPDIR)/krenew
	install -m 0644 completions/_krenew $(DESTDIR)$(ZSHCOMPDIR)/_krenew
	install -m 0644 completions/krenew.fish $(DESTDIR)$(FISHCOMPDIR)/krenew.fish
	for u in $(UNITS); do \
		sed 's|@bindir@|$(BINDIR)|g' $$u > $(DESTDIR)$(USERUNITDIR)/$$(basename $$u) && \
		chmod 0644 $(DESTDIR)$(USERUNITDIR)/$$(basename $$u) || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/krenew $(DESTDIR)$(MANDIR)/man1/krenew.1 \
		$(DESTDIR)$(BASHCOMPDIR)/krenew $(DESTDIR)$(ZSHCOMPDIR)/_krenew \
		$(DESTDIR)$(FISHCOMPDIR)/krenew.fish
	for u in $(UNITS); do rm -f $(DESTDIR)$(USERUNITDIR)/$$(basename $$u); done

# package builds $(DIST)/krenew_VERSION-1_amd64.deb and
# $(DIST)/krenew-VERSION-1.x86_64.rpm: make install's layout under /usr,
# man page and docs compressed as Debian wants, and /usr/share/doc/krenew
# with README.md, NEWS.md as the (upstream) changelog and a Debian
# copyright file made from LICENSE; the .deb adds its changelog.Debian and
# a lintian override. The .deb diverts kstart's krenew to krenew.kstart; the .rpm
# conflicts with kstart (README, "Packages, and kstart's krenew").
PKGROOT = $(DIST)/root
PKGDOC  = $(PKGROOT)/usr/share/doc/krenew
package:
	rm -rf $(PKGROOT) $(DIST)/krenew_*.deb $(DIST)/krenew-*.rpm
	mkdir -p $(PKGROOT)
	$(BUILD) -o $(DIST)/krenew .
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(abspath $(PKGROOT)) BIN=$(DIST)/krenew
	gzip -9n $(PKGROOT)/usr/share/man/man1/krenew.1
	install -d $(PKGDOC)
	gzip -9n < README.md > $(PKGDOC)/README.md.gz
	gzip -9n < NEWS.md > $(PKGDOC)/changelog.gz
	sh packaging/deb/changelog.sh '$(VERSION)' '$(MAINTAINER)' | gzip -9n > $(PKGDOC)/changelog.Debian.gz
	{ sed "s/@copyright@/$$(sed -n 's/^Copyright (c) //p' LICENSE)/" packaging/copyright.head; \
	  sed '1,/^Copyright/d' LICENSE | sed '1{/^$$/d;}' | sed 's/^$$/./; s/^/ /'; } > $(PKGDOC)/copyright
	for format in deb rpm; do \
		KRENEW_STAGE=$(abspath $(PKGROOT)) VERSION='$(VERSION)' MAINTAINER='$(MAINTAINER)' \
		$(NFPM) package -f packaging/nfpm.yaml -p $$format -t $(DIST)/ || exit 1; \
	done
	rm -rf $(PKGROOT) $(DIST)/krenew

# package-test builds the packages, checks them with lintian and rpm, and
# installs, exercises and purges the .deb next to kstart, in both orders
# (internal/e2e/package_test.go). It needs root; it refuses to touch a
# krenew package already installed unless CI=true.
package-test:
	@echo "$(GO) test -tags packagetest -count=1 -parallel 8 -v -run '^TestPackage$$' ./internal/e2e/ (log: package-test.log)"
	@$(GO) test -tags packagetest -count=1 -parallel 8 -v -run '^TestPackage$$' -timeout 5m ./internal/e2e/ > package-test.log 2>&1; status=$$?; \
	if grep -q '^--- SKIP: TestPackage ' package-test.log; then grep -v '^=== ' package-test.log; \
	else grep -E '^(ok|FAIL|panic:)' package-test.log; fi; \
	if [ $$status -ne 0 ]; then grep -vE '^=== (RUN|PAUSE|CONT|NAME)' package-test.log; fi; \
	exit $$status

# demo: a throwaway MIT KDC on 127.0.0.1 and a whole renewal life cycle in
# about a minute, no realm of your own needed (krb5-kdc krb5-admin-server
# krb5-user must be installed).
demo: build
	$(GO) run ./internal/demo -krenew ./krenew

clean:
	rm -rf krenew $(DIST)
