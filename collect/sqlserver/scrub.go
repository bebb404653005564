package sqlserver

import (
	"errors"
	"slices"
	"strings"
)

// scrubber holds the secrets of one DSN. Driver messages may quote the
// connection string or parts of it; every message that leaves this package
// goes through clean first.
type scrubber []string

// redacted replaces a secret in a message.
const redacted = "[redacted]"

// clean replaces every secret in s, longest first (the DSN contains the
// password).
func (s scrubber) clean(msg string) string {
	secrets := slices.Clone([]string(s))
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, secret := range secrets {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, redacted)
		}
	}
	return msg
}

// error returns err's message, cleaned, as a new error. The chain is cut on
// purpose: a wrapped driver error would still print its raw text.
func (s scrubber) error(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(s.clean(err.Error()))
}
