package facts

import (
	"time"

	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/machinekey"
	"github.com/tmsdrift/tmsdrift/manifest"
	"github.com/tmsdrift/tmsdrift/tmsversion"
)

// Deployment is everything gathered for one audit run. It is built once by
// package collect and never changed afterwards; rules only read it.
type Deployment struct {
	Inventory *inventory.Inventory
	// Nodes follow the inventory's order.
	Nodes []*Node
	DB    DB
	// ApprovedKey is the machineKey every web server must carry; when it
	// could not be read, ApprovedKeyErr says why and machinekey.match is
	// `error` on the nodes it would judge.
	ApprovedKey    *machinekey.Key
	ApprovedKeyErr error
	// ApprovedKeyFrom names the key's source for messages ("keys/machinekey.xml",
	// "web.config of tms01").
	ApprovedKeyFrom string
	// Now is the time of the run: waivers expire against it.
	Now time.Time
	// Version is the TMS version profile the deployment is judged by and
	// where its version came from; Version.Profile is nil when no version
	// could be read (Version.Err says why). See profile.go.
	Version tmsversion.Choice
}

// Node is what was gathered from one node. Each part carries its own error:
// a node whose web.config is unreadable still has facts.
type Node struct {
	Spec *inventory.Node

	Facts    *NodeFacts
	FactsErr error

	WebConfig    *WebConfig
	WebConfigErr error
	// OtherWebConfigs are the other web.config files the deployment's
	// TMS profile and inventory list (Deployment.WebConfigs), in that
	// order, as found on this node.
	OtherWebConfigs []OtherWebConfig

	Data    *manifest.Manifest
	DataErr error
}

// WebConfig is a node's web.config: its location, bytes (kept for fixers)
// and the effective machineKey (nil when there is none).
type WebConfig struct {
	Path string // Windows path on the node
	Raw  []byte
	Key  *machinekey.Key
}

// OtherWebConfig is one web.config besides the main one on a node.
type OtherWebConfig struct {
	// Listed is the file as the profile or inventory lists it
	// (`Public\web.config`, or an absolute path).
	Listed string
	// File is nil when the file is absent (Absent) or could not be read
	// or parsed (Err).
	File   *WebConfig
	Absent bool
	Err    error
}

// DB is what was gathered from the database.
type DB struct {
	Facts *DBFacts
	Err   error
	// From names the source: the snapshot file or the live server.
	From string
	// Live is true when the facts were read from the server itself, not
	// from a snapshot file.
	Live bool
}

// NodeByName returns the gathered node with the inventory name name, or nil.
func (d *Deployment) NodeByName(name string) *Node {
	for _, n := range d.Nodes {
		if n.Spec.Name == name {
			return n
		}
	}
	return nil
}
