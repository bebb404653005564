package machinekey

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Keys of the samples in testdata (made up for these tests, never used on a
// server).
const (
	tmsValidationKey  = "4F0BA190D9A9551B5D378044300734F38FD4373477A3BA68B6B6A9AD2C7E82C0818136F5A18182A9ED65067DD73D2DE922ECF4739DBBA13A8EA1D42E541C3A90"
	tmsDecryptionKey  = "12C0F462CB5535E64CD2993ED43FECF559B539EE935F9B2B596C8B22140D46D9"
	apiValidationKey  = "E035D7A897BAC5CD3CE845070A42196F56E6D82CED3963ADADB34E242C9EA954B93856CE3BC44C4A9B9E930FA107D67846FFDCA2373F4758633DBAD5A2C158A7"
	apiDecryptionKey  = "B81A0DB3B6A2AE5126C6692D97BA1E6085464CC4DEAE6B4B204407C36266F0CB"
	net2ValidationKey = "D58C65B9A9E6731E1A5EE04ACF443E882CC15A403402CC6A9F6B7EE33A7C46C53894198B59BF13E1921FD59E8E753C9BC193EC310727BD0C2F1CBC61EC8C2CBB"
	net2DecryptionKey = "46F65CFA333EDD6049ADC848E8FF5966A3A01A48782BAFA59B539B39023F6B4A"
	dotValidationKey  = "414A10F244B90B8A1D34407D1FBC2426F418F146B89D225689664C4E6107A2F0EB9864C9BE3A00F6F11CF35CBA979E6AADB59C3D6D45988DAF241ED235B48226"
	dotDecryptionKey  = "10476BB27603A3DAF7CF1D6332A5F2BD29DB2F565F532EFA59495896235944AD"
	oldValidationKey  = "63301702EA0EDDB8D66DE55AAD9B0B81A7C982437232112EBDDE1FD8CEA3632932DE172205E7F045F89B38F0A883099B1B0D38BB4211EB53D225175CB6872BA4"
	oldDecryptionKey  = "AEDDEEFF1F211A3AF461269E42B829972FEA7B7F7AB038FCC1A2B1F3963E11F0"

	// tmsFingerprint is the first 12 hex digits of SHA-256 over
	// "tmsdrift/machinekey/v1\n128:<VALIDATIONKEY>\n64:<DECRYPTIONKEY>\n10:HMACSHA256\n3:AES\n",
	// computed outside Go (Python's hashlib). Reports show it: changing the
	// canonical form changes every report, so it must be a deliberate,
	// versioned change.
	tmsFingerprint = "sha256:75326c86d78a"
)

var tmsKey = Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey, Validation: "HMACSHA256", Decryption: "AES"}

func TestFixed(t *testing.T) {
	tests := []struct {
		name string
		key  Key
		want bool
	}{
		{"hex keys", tmsKey, true},
		{"hex keys without algorithms", Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey}, true},
		{"AutoGenerate,IsolateApps", Key{ValidationKey: "AutoGenerate,IsolateApps", DecryptionKey: "AutoGenerate,IsolateApps"}, false},
		{"autogenerate in lower case", Key{ValidationKey: "autogenerate", DecryptionKey: tmsDecryptionKey}, false},
		{"only decryptionKey auto", Key{ValidationKey: tmsValidationKey, DecryptionKey: "AutoGenerate,IsolateByAppId"}, false},
		{"validationKey absent", Key{DecryptionKey: tmsDecryptionKey}, false},
		{"decryptionKey absent", Key{ValidationKey: tmsValidationKey}, false},
		{"blank key", Key{ValidationKey: "  ", DecryptionKey: tmsDecryptionKey}, false},
		{"nothing", Key{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.key.Fixed())
		})
	}
}

func TestNormalized(t *testing.T) {
	got := Key{ValidationKey: "ab", DecryptionKey: "cd"}.Normalized()
	assert.Equal(t, Key{ValidationKey: "ab", DecryptionKey: "cd", Validation: "HMACSHA256", Decryption: "Auto"}, got)

	explicit := Key{ValidationKey: "ab", DecryptionKey: "cd", Validation: "sha1", Decryption: "aes"}
	assert.Equal(t, explicit, explicit.Normalized(), "values that are set are kept as written")
}

// equalityCases are pairs of keys with whether the contract calls them
// equal; fingerprints must agree with it.
var equalityCases = []struct {
	name string
	a, b Key
	want bool
}{
	{"same", tmsKey, tmsKey, true},
	{"keys differ in case only", tmsKey, Key{ValidationKey: strings.ToLower(tmsValidationKey), DecryptionKey: strings.ToLower(tmsDecryptionKey), Validation: "HMACSHA256", Decryption: "AES"}, true},
	{"absent validation is HMACSHA256", tmsKey, Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey, Decryption: "AES"}, true},
	{"algorithm names differ in case only", tmsKey, Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey, Validation: "hmacsha256", Decryption: "aes"}, true},
	{"absent decryption is Auto",
		Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey, Validation: "HMACSHA256", Decryption: "Auto"},
		Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey}, true},
	{"absent decryption is not AES", tmsKey, Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey, Validation: "HMACSHA256"}, false},
	{"other validationKey", tmsKey, Key{ValidationKey: apiValidationKey, DecryptionKey: tmsDecryptionKey, Validation: "HMACSHA256", Decryption: "AES"}, false},
	{"other decryptionKey", tmsKey, Key{ValidationKey: tmsValidationKey, DecryptionKey: apiDecryptionKey, Validation: "HMACSHA256", Decryption: "AES"}, false},
	{"other validation", tmsKey, Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey, Validation: "SHA1", Decryption: "AES"}, false},
	{"other decryption", tmsKey, Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey, Validation: "HMACSHA256", Decryption: "3DES"}, false},
	{"keys swapped", tmsKey, Key{ValidationKey: tmsDecryptionKey, DecryptionKey: tmsValidationKey, Validation: "HMACSHA256", Decryption: "AES"}, false},
	{"line break moved between keys",
		Key{ValidationKey: "AB\nCD", DecryptionKey: "EF"}, Key{ValidationKey: "AB", DecryptionKey: "CD\nEF"}, false},
	{"validationKey shorter", tmsKey, Key{ValidationKey: tmsValidationKey[:126], DecryptionKey: tmsDecryptionKey, Validation: "HMACSHA256", Decryption: "AES"}, false},
}

func TestEqual(t *testing.T) {
	for _, tt := range equalityCases {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.a.Equal(tt.b))
			assert.Equal(t, tt.want, tt.b.Equal(tt.a), "Equal is symmetric")
		})
	}
}

func TestFingerprint(t *testing.T) {
	assert.Equal(t, tmsFingerprint, tmsKey.Fingerprint(), "the fingerprint of a key never changes between versions")

	format := regexp.MustCompile(`^sha256:[0-9a-f]{12}$`)
	for _, tt := range equalityCases {
		t.Run(tt.name, func(t *testing.T) {
			fa, fb := tt.a.Fingerprint(), tt.b.Fingerprint()
			assert.Regexp(t, format, fa)
			assert.Regexp(t, format, fb)
			if tt.want {
				assert.Equal(t, fa, fb, "equal keys have equal fingerprints")
			} else {
				assert.NotEqual(t, fa, fb, "different keys have different fingerprints")
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		key  Key
		want string
	}{
		{"fixed", tmsKey, "validation=HMACSHA256 decryption=AES key=" + tmsFingerprint},
		{"defaults filled in", Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey},
			"validation=HMACSHA256 decryption=Auto key=" + Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey}.Fingerprint()},
		{"auto keys are shown", Key{ValidationKey: "AutoGenerate,IsolateApps", DecryptionKey: "AutoGenerate,IsolateApps", Validation: "SHA1"},
			"validation=SHA1 decryption=Auto validationKey=AutoGenerate,IsolateApps decryptionKey=AutoGenerate,IsolateApps key=" +
				Key{ValidationKey: "AutoGenerate,IsolateApps", DecryptionKey: "AutoGenerate,IsolateApps", Validation: "SHA1"}.Fingerprint()},
		{"a set key is not shown", Key{ValidationKey: tmsValidationKey},
			"validation=HMACSHA256 decryption=Auto validationKey=(set) decryptionKey=(none) key=" + Key{ValidationKey: tmsValidationKey}.Fingerprint()},
		{"odd algorithm name is quoted", Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey, Validation: "HMAC SHA\n256"},
			`validation="HMAC SHA\n256" decryption=Auto key=` + Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey, Validation: "HMAC SHA\n256"}.Fingerprint()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.key.Describe())
			assert.Equal(t, tt.want, tt.key.String())
		})
	}
}

// TestNoKeyMaterialInOutput prints keys every way a program might and checks
// that no output carries any part of a key.
func TestNoKeyMaterialInOutput(t *testing.T) {
	keys := map[string]Key{
		"fixed":      tmsKey,
		"lower case": {ValidationKey: strings.ToLower(tmsValidationKey), DecryptionKey: strings.ToLower(tmsDecryptionKey)},
		"half auto":  {ValidationKey: tmsValidationKey, DecryptionKey: "AutoGenerate"},
		// A key pasted into the wrong attribute is still a key.
		"key in algorithm attributes": {ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey, Validation: apiValidationKey, Decryption: "x" + apiDecryptionKey},
	}
	type holder struct {
		Name string
		Key  Key
		Ptr  *Key
	}
	for name, k := range keys {
		t.Run(name, func(t *testing.T) {
			k := k
			outputs := map[string]string{"Describe": k.Describe(), "String": k.String(), "GoString": k.GoString()}
			// Not %p: fmt prints a non-pointer's fields for it without asking
			// the value's methods; go vet reports %p with a non-pointer.
			outputs["%p pointer"] = fmt.Sprintf("%p", &k)
			noVerbs := "no verbs" // a variable, or vet rejects the call this tests
			outputs["extra argument"] = fmt.Sprintf(noVerbs, k)
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%30v", "%-v", "%T %v"} {
				outputs[verb] = fmt.Sprintf(verb, k)
				outputs[verb+" pointer"] = fmt.Sprintf(verb, &k)
				outputs[verb+" slice"] = fmt.Sprintf(verb, []Key{k})
				outputs[verb+" map"] = fmt.Sprintf(verb, map[string]Key{"k": k})
				outputs[verb+" struct"] = fmt.Sprintf(verb, holder{Name: "n", Key: k, Ptr: &k})
			}
			outputs["Sprint"] = fmt.Sprint(k)
			outputs["Sprintln"] = fmt.Sprintln(k, &k)
			js, err := json.Marshal(holder{Name: "n", Key: k, Ptr: &k})
			require.NoError(t, err)
			outputs["json"] = string(js)

			for how, out := range outputs {
				assertNoKeyMaterial(t, out, k, how)
			}
		})
	}
}

// assertNoKeyMaterial fails when out holds 8 or more consecutive characters
// of any of k's secret values (in any case).
func assertNoKeyMaterial(t *testing.T, out string, k Key, how string) {
	t.Helper()
	lower := strings.ToLower(out)
	for _, secret := range []string{k.ValidationKey, k.DecryptionKey, k.Validation, k.Decryption} {
		if !hasHexRun(secret, 16) {
			continue // not key material: an algorithm name or AutoGenerate
		}
		s := strings.ToLower(secret)
		for i := 0; i+8 <= len(s); i++ {
			if strings.Contains(lower, s[i:i+8]) {
				t.Errorf("%s output contains key material %q: %s", how, s[i:i+8], out)
				return
			}
		}
	}
}

func TestFormatNilPointer(t *testing.T) {
	var k *Key
	assert.Equal(t, "<nil>", fmt.Sprint(k))
}

func TestMarshalJSON(t *testing.T) {
	js, err := json.Marshal(Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey, Decryption: "AES"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"validation":"HMACSHA256","decryption":"AES","fixed":true,"fingerprint":"`+tmsFingerprint+`"}`, string(js))
}

func TestRedactHexRuns(t *testing.T) {
	tests := []struct{ in, want string }{
		{"invalid character entity &5D378044300734F3;", "invalid character entity &<redacted>;"},
		{"element <authorization> closed by </system.web>", "element <authorization> closed by </system.web>"},
		{"abc1234 deadbeef", "abc1234 <redacted>"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, redactHexRuns(tt.in, minSecretHexRun), tt.in)
	}
}
