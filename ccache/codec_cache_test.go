package ccache

import (
	"reflect"
	"testing"
	"time"
)

func ticket(client, server Principal, start time.Time, tag string) Credential {
	return Credential{
		Client: client, Server: server,
		AuthTime: start, StartTime: start, EndTime: start.Add(time.Hour),
		Flags: FlagRenewable, Ticket: []byte(tag),
	}
}

func TestFindTGT(t *testing.T) {
	t0 := time.Date(2031, 5, 1, 0, 0, 0, 0, time.UTC)
	bob := Principal{Realm: "EXAMPLE.ORG", Components: []string{"bob"}}
	crossRealm := Principal{Realm: "EXAMPLE.ORG", Components: []string{"krbtgt", "OTHER.ORG"}}
	svc := Principal{Realm: "EXAMPLE.ORG", Components: []string{"host", "h.example.org"}}
	tgtCfg := NewConfig(alice, "krbtgt", nil, []byte("x"))
	tgtCfg.Server = Principal{Realm: ConfigRealm, Components: []string{"krbtgt", ConfigRealm}}

	c := &Cache{DefaultPrincipal: alice}
	if _, ok := c.FindTGT(); ok {
		t.Fatal("empty cache has a TGT")
	}
	c.Credentials = []Credential{
		NewConfig(alice, "pa_type", &tgtSvc, []byte("2")),
		tgtCfg,
		ticket(bob, tgtSvc, t0.Add(3*time.Hour), "bob"),
		ticket(alice, crossRealm, t0.Add(3*time.Hour), "cross"),
		ticket(alice, svc, t0.Add(3*time.Hour), "svc"),
	}
	if got, ok := c.FindTGT(); ok {
		t.Fatalf("found %q among non-TGTs", got.Ticket)
	}
	c.Credentials = append(c.Credentials,
		ticket(alice, tgtSvc, t0.Add(time.Hour), "renewed"),
		ticket(alice, tgtSvc, t0, "original"),
	)
	got, ok := c.FindTGT()
	if !ok || string(got.Ticket) != "renewed" {
		t.Fatalf("FindTGT = %q %v, want the later-starting ticket", got.Ticket, ok)
	}
	// Equal start: the one written later wins.
	c.Credentials = append(c.Credentials, ticket(alice, tgtSvc, t0.Add(time.Hour), "appended"))
	if got, _ := c.FindTGT(); string(got.Ticket) != "appended" {
		t.Errorf("FindTGT = %q, want appended", got.Ticket)
	}
	// Without starttime the authtime counts.
	noStart := ticket(alice, tgtSvc, t0.Add(2*time.Hour), "nostart")
	noStart.StartTime = time.Time{}
	c.Credentials = append(c.Credentials, noStart)
	if got, _ := c.FindTGT(); string(got.Ticket) != "nostart" {
		t.Errorf("FindTGT = %q, want nostart", got.Ticket)
	}
}

func TestPutCredential(t *testing.T) {
	t0 := time.Date(2031, 5, 1, 0, 0, 0, 0, time.UTC)
	svc := Principal{Realm: "EXAMPLE.ORG", Components: []string{"host", "h.example.org"}}
	cfg := NewConfig(alice, "fast_avail", &tgtSvc, []byte("yes"))
	c := &Cache{DefaultPrincipal: alice, Credentials: []Credential{
		cfg,
		ticket(alice, tgtSvc, t0, "old"),
		ticket(alice, svc, t0, "svc"),
		ticket(alice, tgtSvc, t0, "dup"),
	}}
	renewed := ticket(alice, Principal{NameType: 99, Realm: tgtSvc.Realm, Components: tgtSvc.Components}, t0.Add(time.Hour), "new")
	c.PutCredential(renewed)
	want := []Credential{cfg, renewed, ticket(alice, svc, t0, "svc")}
	if !reflect.DeepEqual(c.Credentials, want) {
		t.Fatalf("after replace: %+v", c.Credentials)
	}

	other := ticket(alice, Principal{Realm: "EXAMPLE.ORG", Components: []string{"HTTP", "w"}}, t0, "http")
	c.PutCredential(other)
	want = append(want, other)
	if !reflect.DeepEqual(c.Credentials, want) {
		t.Fatalf("after append: %+v", c.Credentials)
	}

	// A credential shaped like a config entry is appended, never merged
	// into the real config entry.
	c.PutCredential(NewConfig(alice, "fast_avail", &tgtSvc, []byte("no")))
	if v, _ := c.Config("fast_avail", &tgtSvc); string(v) != "yes" {
		t.Errorf("config entry changed to %q", v)
	}
}

func TestSetConfig(t *testing.T) {
	c := &Cache{DefaultPrincipal: alice, Credentials: []Credential{ticket(alice, tgtSvc, time.Unix(1e9, 0).UTC(), "tgt")}}
	c.SetConfig("refresh_time", nil, []byte("100"))
	c.SetConfig("pa_type", &tgtSvc, []byte("2"))
	c.SetConfig("refresh_time", nil, []byte("200"))
	if len(c.Credentials) != 3 {
		t.Fatalf("%d credentials, want 3", len(c.Credentials))
	}
	got, err := Parse(c.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got.Config("refresh_time", nil); !ok || string(v) != "200" {
		t.Errorf("refresh_time = %q %v", v, ok)
	}
	if _, ok := got.Config("pa_type", nil); ok {
		t.Error("pa_type found without its principal")
	}
	if v, ok := got.Config("pa_type", &tgtSvc); !ok || string(v) != "2" {
		t.Errorf("pa_type = %q %v", v, ok)
	}
	k, a, ok := got.Credentials[2].ConfigKey()
	if !ok || k != "pa_type" || a != "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG" {
		t.Errorf("ConfigKey = %q %q %v", k, a, ok)
	}
	if _, _, ok := got.Credentials[0].ConfigKey(); ok {
		t.Error("a ticket has a config key")
	}
}
