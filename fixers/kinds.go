package fixers

import (
	"context"
	"fmt"
)

// kinds is every kind of change a run journal can hold, by name: how to
// check a record of it and how to put back what it did. One line per
// kind; the kind's type and this reader live in its own file
// (kind_<name>.go). docs/fixing.md, "Kinds of change", says how to add
// one.
var kinds = map[Kind]kind{
	KindFile:      fileKind{},
	KindService:   serviceKind{},
	KindDatabase:  settingsKind{},
	KindInventory: inventoryKind{},
}

// kind reads changes of one kind back from a run journal.
type kind interface {
	// validate checks what is particular to the kind in a record
	// (ParseRunManifest checks the rest): rollback acts on what it says.
	validate(r Record) error
	// inverse is the change that puts back what the record did: Node and
	// Rules from the record, a Summary, and an Op from the record's
	// before and after states (a file's from the run folder orig).
	inverse(r Record, orig *Journal) (Change, error)
}

// leftoverFinder is a kind whose change, killed half-way, can leave
// something beside its object (a file write's temporary file). Rollback
// of an interrupted run asks it for the changes that clean up.
type leftoverFinder interface {
	leftovers(ctx context.Context, r Record, oc *OpContext) ([]Change, error)
}

// pendingNoter is a kind that has something to say to people about a
// change that was under way when its run stopped.
type pendingNoter interface {
	pendingNote(r Record) string
}

// kindOf returns the reader of a record's kind.
func kindOf(k Kind) (kind, error) {
	if r, ok := kinds[k]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("kind %q is unknown", k)
}
