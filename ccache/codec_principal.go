package ccache

import "strings"

// Principal is a Kerberos principal name as a credential cache stores it.
type Principal struct {
	NameType   int32
	Realm      string
	Components []string
}

// Principal name types (RFC 4120 section 6.2) that krenew has reason to set.
const (
	NameTypeUnknown   int32 = 0
	NameTypePrincipal int32 = 1
	NameTypeSrvInst   int32 = 2
	NameTypeSrvHost   int32 = 3
)

// String renders the principal the way MIT's krb5_unparse_name does, so names
// printed by krenew match what klist prints and can be fed back to kinit.
func (p Principal) String() string {
	var b strings.Builder
	for i, c := range p.Components {
		if i > 0 {
			b.WriteByte('/')
		}
		quoteComponent(&b, c)
	}
	b.WriteByte('@')
	quoteComponent(&b, p.Realm)
	return b.String()
}

// quoteComponent escapes the separators and the control characters MIT
// escapes, because an unescaped '/' or '@' would parse back as a different
// principal.
func quoteComponent(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '/', '@', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\b':
			b.WriteString(`\b`)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(c)
		}
	}
}

// Equal compares realm and components. The name type is ignored because KDCs
// and clients disagree about it (kinit stores NT_PRINCIPAL, a KDC may answer
// with NT_UNKNOWN or NT_SRV_INST) without naming a different principal, and
// MIT's krb5_principal_compare ignores it too.
func (p Principal) Equal(o Principal) bool {
	if p.Realm != o.Realm || len(p.Components) != len(o.Components) {
		return false
	}
	for i := range p.Components {
		if p.Components[i] != o.Components[i] {
			return false
		}
	}
	return true
}

// IsTGTFor reports whether p is the ticket-granting service of realm,
// krbtgt/REALM@REALM.
func (p Principal) IsTGTFor(realm string) bool {
	return p.Realm == realm && len(p.Components) == 2 &&
		p.Components[0] == "krbtgt" && p.Components[1] == realm
}
