package checks

// profileFacts names, per rule, the facts of the TMS version profile
// (package tmsversion) the rule judges by, so `tmsdrift explain` can show
// them with their sources. Rules not listed use no version fact.
var profileFacts = map[string][]string{
	"paths.identical":           {"software_dir"},
	"machinekey.present":        {"web_configs"},
	"machinekey.match":          {"web_configs"},
	"services.standby-inactive": {"passive", "services"},
	"services.active-running":   {"services"},
	"data.synced":               {"data_dirs"},
	"nodes.count":               {"max_active"},
}

// ProfileFacts lists the version-profile facts (tmsversion.FactNames) the
// rule follows; nil when the rule is the same for every TMS release.
func (r *Rule) ProfileFacts() []string {
	return append([]string(nil), profileFacts[r.ID]...)
}
