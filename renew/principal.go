package renew

import (
	"fmt"
	"strings"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/krenew/krenew/ccache"
)

// ParsePrincipal reads a principal the way krb5_parse_name does: components
// separated by '/', realm after the last unescaped '@', backslash escapes;
// a name without a realm gets defaultRealm.
func ParsePrincipal(name, defaultRealm string) (ccache.Principal, error) {
	if name == "" {
		return ccache.Principal{}, fmt.Errorf("empty principal name")
	}
	var comps []string
	var cur strings.Builder
	realm := ""
	inRealm := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '\\':
			if i+1 == len(name) {
				return ccache.Principal{}, fmt.Errorf("principal %q ends in a backslash", name)
			}
			i++
			switch name[i] {
			case 'n':
				cur.WriteByte('\n')
			case 't':
				cur.WriteByte('\t')
			case 'b':
				cur.WriteByte('\b')
			case '0':
				cur.WriteByte(0)
			default:
				cur.WriteByte(name[i])
			}
		case c == '/' && !inRealm:
			comps = append(comps, cur.String())
			cur.Reset()
		case c == '@' && !inRealm:
			comps = append(comps, cur.String())
			cur.Reset()
			inRealm = true
		case c == '@' || c == '/':
			return ccache.Principal{}, fmt.Errorf("principal %q has a %q in its realm", name, c)
		default:
			cur.WriteByte(c)
		}
	}
	if inRealm {
		realm = cur.String()
		if realm == "" {
			return ccache.Principal{}, fmt.Errorf("principal %q has an empty realm", name)
		}
	} else {
		comps = append(comps, cur.String())
		realm = defaultRealm
	}
	for _, c := range comps {
		if c == "" {
			return ccache.Principal{}, fmt.Errorf("principal %q has an empty component", name)
		}
	}
	if realm == "" {
		return ccache.Principal{}, &Error{Kind: KindRealmNotConfigured, Principal: name,
			Err: fmt.Errorf("principal %q has no realm and krb5.conf sets no default_realm", name)}
	}
	nt := int32(nametype.KRB_NT_PRINCIPAL)
	if len(comps) > 1 {
		nt = nametype.KRB_NT_SRV_INST
	}
	return ccache.Principal{NameType: nt, Realm: realm, Components: comps}, nil
}

func tgsPrincipal(realm string) ccache.Principal {
	return ccache.Principal{NameType: nametype.KRB_NT_SRV_INST, Realm: realm, Components: []string{"krbtgt", realm}}
}

func toPrincipalName(p ccache.Principal) types.PrincipalName {
	return types.PrincipalName{NameType: p.NameType, NameString: append([]string(nil), p.Components...)}
}

func fromPrincipalName(n types.PrincipalName, realm string) ccache.Principal {
	return ccache.Principal{NameType: n.NameType, Realm: realm, Components: append([]string(nil), n.NameString...)}
}
