package ccache

import (
	"encoding/binary"
	"fmt"
)

// The KCM protocol as MIT's cc_kcm.c speaks it (include/kcm.h): a request
// is major version 2, minor version 0, a 16-bit big-endian opcode and the
// arguments, with no delimiters; names are NUL-terminated, principals and
// credentials use the version 4 FILE cache encoding, UUIDs are 16 bytes.

const (
	kcmVersionMajor = 2
	kcmVersionMinor = 0
	kcmUUIDLen      = 16
)

// DefaultKCMSocket is where MIT and Heimdal look for the daemon when
// neither krb5.conf's kcm_socket nor KRB5_KCM_SOCKET says otherwise.
const DefaultKCMSocket = "/var/run/.heim_org.h5l.kcm-socket"

type kcmOp uint16

// Opcodes krenew sends; the numbers are Heimdal's, the last two MIT's
// extensions: sssd-kcm implements GET_CRED_LIST (2.8 not REPLACE),
// Heimdal neither.
const (
	kcmOpGenNew          kcmOp = 3
	kcmOpInitialize      kcmOp = 4
	kcmOpDestroy         kcmOp = 5
	kcmOpStore           kcmOp = 6
	kcmOpGetPrincipal    kcmOp = 8
	kcmOpGetCredUUIDList kcmOp = 9
	kcmOpGetCredByUUID   kcmOp = 10
	kcmOpRemoveCred      kcmOp = 11
	kcmOpMoveCache       kcmOp = 17
	kcmOpGetCacheUUIDs   kcmOp = 18
	kcmOpGetCacheByUUID  kcmOp = 19
	kcmOpGetDefaultCache kcmOp = 20
	kcmOpSetDefaultCache kcmOp = 21
	kcmOpGetKDCOffset    kcmOp = 22
	kcmOpSetKDCOffset    kcmOp = 23
	kcmOpGetCredList     kcmOp = 13001
	kcmOpReplace         kcmOp = 13002
)

var kcmOpNames = map[kcmOp]string{
	kcmOpGenNew: "GEN_NEW", kcmOpInitialize: "INITIALIZE", kcmOpDestroy: "DESTROY",
	kcmOpStore: "STORE", kcmOpGetPrincipal: "GET_PRINCIPAL",
	kcmOpGetCredUUIDList: "GET_CRED_UUID_LIST", kcmOpGetCredByUUID: "GET_CRED_BY_UUID",
	kcmOpRemoveCred: "REMOVE_CRED", kcmOpGetCacheUUIDs: "GET_CACHE_UUID_LIST", kcmOpGetCacheByUUID: "GET_CACHE_BY_UUID",
	kcmOpMoveCache: "MOVE_CACHE", kcmOpGetDefaultCache: "GET_DEFAULT_CACHE",
	kcmOpSetDefaultCache: "SET_DEFAULT_CACHE", kcmOpGetKDCOffset: "GET_KDC_OFFSET",
	kcmOpSetKDCOffset: "SET_KDC_OFFSET", kcmOpGetCredList: "GET_CRED_LIST", kcmOpReplace: "REPLACE",
}

func (op kcmOp) String() string {
	if s, ok := kcmOpNames[op]; ok {
		return s
	}
	return fmt.Sprintf("opcode %d", uint16(op))
}

// Status codes from MIT's krb5 error table that the daemons answer with.
const (
	kcmCodeCCBadName   int32 = -1765328245 // KRB5_CC_BADNAME
	kcmCodeCCNotFound  int32 = -1765328243 // KRB5_CC_NOTFOUND
	kcmCodeCCEnd       int32 = -1765328242 // KRB5_CC_END
	kcmCodeCCIO        int32 = -1765328191 // KRB5_CC_IO
	kcmCodeFCCPerm     int32 = -1765328190 // KRB5_FCC_PERM
	kcmCodeFCCNoFile   int32 = -1765328189 // KRB5_FCC_NOFILE
	kcmCodeFCCInternal int32 = -1765328188 // KRB5_FCC_INTERNAL
	kcmCodeCCWrite     int32 = -1765328187 // KRB5_CC_WRITE
	kcmCodeCCNoMem     int32 = -1765328186 // KRB5_CC_NOMEM
	kcmCodeCCFormat    int32 = -1765328185 // KRB5_CC_FORMAT
	kcmCodeCCNoSupp    int32 = -1765328137 // KRB5_CC_NOSUPP
)

var kcmCodeNames = map[int32]string{
	kcmCodeCCBadName:   "KRB5_CC_BADNAME: credential cache name malformed",
	kcmCodeCCNotFound:  "KRB5_CC_NOTFOUND: matching credential not found",
	kcmCodeCCEnd:       "KRB5_CC_END: end of credential cache reached",
	kcmCodeCCIO:        "KRB5_CC_IO: credentials cache I/O operation failed",
	kcmCodeFCCPerm:     "KRB5_FCC_PERM: credentials cache permissions incorrect",
	kcmCodeFCCNoFile:   "KRB5_FCC_NOFILE: no credentials cache found",
	kcmCodeFCCInternal: "KRB5_FCC_INTERNAL: internal credentials cache error",
	kcmCodeCCWrite:     "KRB5_CC_WRITE: error writing to credentials cache",
	kcmCodeCCNoMem:     "KRB5_CC_NOMEM: no more memory",
	kcmCodeCCFormat:    "KRB5_CC_FORMAT: bad format in credentials cache",
	kcmCodeCCNoSupp:    "KRB5_CC_NOSUPP: ccache function not implemented",
	1:                  "EPERM: operation not permitted",
	2:                  "ENOENT: no such file or directory",
	12:                 "ENOMEM: out of memory",
	13:                 "EACCES: permission denied",
	22:                 "EINVAL: invalid argument",
}

// kcmStatusError is a non-zero status the daemon answered a request with.
type kcmStatusError struct {
	Op   kcmOp
	Code int32
}

func (e *kcmStatusError) Error() string {
	name := kcmCodeNames[e.Code]
	if name == "" {
		name = "unknown error"
	}
	return fmt.Sprintf("the KCM daemon answered %s with error %d (%s)", e.Op, e.Code, name)
}

// unsupported reports whether the status may mean the daemon does not
// implement the operation, by the same rule as MIT's unsupported_op_error:
// Heimdal answers KRB5_FCC_INTERNAL for opcodes it does not know, sssd
// KRB5_CC_NOSUPP for ones it knows but lacks and KRB5_CC_IO for unknown
// ones (which could also be a real I/O failure; MIT takes that risk too).
func (e *kcmStatusError) unsupported() bool {
	return e.Code == kcmCodeFCCInternal || e.Code == kcmCodeCCIO || e.Code == kcmCodeCCNoSupp
}

// missing reports whether the status means there is no such cache, or a
// cache that was never initialized with a principal.
func (e *kcmStatusError) missing() bool {
	return e.Code == kcmCodeFCCNoFile || e.Code == kcmCodeCCNotFound
}

// kcmRequest starts a request for op; args are appended as they are.
func kcmRequest(op kcmOp, args ...[]byte) []byte {
	n := 4
	for _, a := range args {
		n += len(a)
	}
	b := make([]byte, 4, n)
	b[0], b[1] = kcmVersionMajor, kcmVersionMinor
	binary.BigEndian.PutUint16(b[2:], uint16(op))
	for _, a := range args {
		b = append(b, a...)
	}
	return b
}

func kcmNameArg(name string) []byte { return append([]byte(name), 0) }

func kcmU32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// kcmReplaceArgs encodes REPLACE's arguments after the name: KDC offset,
// principal, then the credentials, each preceded by its length.
func kcmReplaceArgs(offset int32, c *Cache) []byte {
	b := kcmU32(uint32(offset))
	b = append(b, MarshalPrincipal(c.DefaultPrincipal)...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.Credentials)))
	for i := range c.Credentials {
		cred := MarshalCredential(c.Credentials[i])
		b = binary.BigEndian.AppendUint32(b, uint32(len(cred)))
		b = append(b, cred...)
	}
	return b
}

// kcmOffsetOf is the KDC offset KCM can carry: whole seconds, taken from
// the seconds field of the header as MIT's context keeps it.
func kcmOffsetOf(c *Cache) int32 {
	for _, f := range c.Header {
		if f.Tag == HeaderKDCOffset && len(f.Value) == 8 {
			return int32(binary.BigEndian.Uint32(f.Value))
		}
	}
	return 0
}

// kcmMatchTimesExact is Heimdal's KRB5_TC_MATCH_TIMES_EXACT. REMOVE_CRED
// takes Heimdal's flag values, which live in the high bits (MIT's low-bit
// KRB5_TC_* values mean nothing to it; MIT's cc_kcm.c maps them since
// 1.19.2).
const kcmMatchTimesExact uint32 = 1 << 26

// The header of Heimdal's "tagged" credential (lib/krb5/store.c,
// krb5_ret_creds_tag) says which optional fields follow.
const (
	kcmTagClient uint32 = 0x01
	kcmTagServer uint32 = 0x02
)

// kcmRemoveArgs encodes REMOVE_CRED's arguments after the name: the match
// flags, then a tagged credential with client and server and, as the tag
// format always carries them, the times, is_skey and the flags. Heimdal
// compares the client and server it is given always, and with
// kcmMatchTimesExact all four times; key, ticket and the rest are left out,
// since it would not compare them, and every matching entry is removed.
func kcmRemoveArgs(c *Credential) []byte {
	w := &writer{}
	w.u32(kcmMatchTimesExact)
	w.u32(kcmTagClient | kcmTagServer)
	w.principal(c.Client)
	w.principal(c.Server)
	w.timesAndFlags(c)
	return w.b
}
