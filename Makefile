# krenew: build, test and install. `make test` is what CI runs (.ci/run).
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
GO       ?= go
FUZZTIME ?= 5s

.PHONY: all build test check unit fuzz install uninstall clean

all: build

build:
	$(GO) build -trimpath -o krenew .

# check: formatting and vet, the cheap failures first.
check:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -parallel 8 -timeout 12m ./...

# Each fuzz target runs for FUZZTIME on top of its seed corpus.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./ccache/
	$(GO) test -run '^$$' -fuzz '^FuzzParseKrbDuration$$' -fuzztime $(FUZZTIME) .

test: check unit fuzz

install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 krenew $(DESTDIR)$(BINDIR)/krenew
	install -m 0644 man/krenew.1 $(DESTDIR)$(MANDIR)/man1/krenew.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/krenew $(DESTDIR)$(MANDIR)/man1/krenew.1

clean:
	rm -f krenew
