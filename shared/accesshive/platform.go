package accesshive

// PlatformKind is the kind of external platform a connection reaches.
type PlatformKind string

// Platform kinds.
const (
	KindGoogleAds       PlatformKind = "google_ads"
	KindMetaBusiness    PlatformKind = "meta_business"
	KindGoogleAnalytics PlatformKind = "google_analytics"
	KindGoogleWorkspace PlatformKind = "google_workspace"
	KindLinkedIn        PlatformKind = "linkedin"
	KindTikTok          PlatformKind = "tiktok"
	KindOther           PlatformKind = "other"
)

// PlatformKinds lists every platform kind.
var PlatformKinds = []PlatformKind{KindGoogleAds, KindMetaBusiness, KindGoogleAnalytics, KindGoogleWorkspace, KindLinkedIn, KindTikTok, KindOther}

// Valid reports whether k is a known kind.
func (k PlatformKind) Valid() bool {
	for _, known := range PlatformKinds {
		if k == known {
			return true
		}
	}
	return false
}

// PlatformStatus is the health of a platform connection.
type PlatformStatus string

// Platform statuses. Only operational platforms can be added to clients.
const (
	PlatformConnecting   PlatformStatus = "connecting"
	PlatformOperational  PlatformStatus = "operational"
	PlatformDegraded     PlatformStatus = "degraded"
	PlatformDisconnected PlatformStatus = "disconnected"
)

// Valid reports whether s is a known status.
func (s PlatformStatus) Valid() bool {
	switch s {
	case PlatformConnecting, PlatformOperational, PlatformDegraded, PlatformDisconnected:
		return true
	}
	return false
}

// Platform is an agency's connection to an external platform.
type Platform struct {
	ID          string         `json:"id"`
	AgencyID    string         `json:"agencyId"`
	Name        string         `json:"name"`
	Kind        PlatformKind   `json:"kind"`
	Status      PlatformStatus `json:"status"`
	Description string         `json:"description,omitempty"`
	Meta
}

// NewPlatformInput connects a platform. Status defaults to connecting.
type NewPlatformInput struct {
	Name        string         `json:"name"`
	Kind        PlatformKind   `json:"kind"`
	Status      PlatformStatus `json:"status"`
	Description string         `json:"description"`
}

// Validate checks the input.
func (in NewPlatformInput) Validate() error {
	var v Validation
	checkText(&v, "name", in.Name, true, 120)
	checkText(&v, "description", in.Description, false, 1000)
	switch {
	case in.Kind == "":
		v.Add("kind", FieldRequired, "kind is required")
	case !in.Kind.Valid():
		v.Add("kind", FieldUnknown, "kind must be one of google_ads, meta_business, google_analytics, google_workspace, linkedin, tiktok, other")
	}
	v.Check(in.Status == "" || in.Status.Valid(), "status", FieldUnknown, "status must be one of connecting, operational, degraded, disconnected")
	return v.Err()
}

// PlatformPatch changes a platform; nil fields stay unchanged. Kind cannot change.
type PlatformPatch struct {
	Name        *string         `json:"name"`
	Status      *PlatformStatus `json:"status"`
	Description *string         `json:"description"`
}

// Validate checks the patch's values.
func (p PlatformPatch) Validate() error {
	var v Validation
	if p.Name != nil {
		checkText(&v, "name", *p.Name, true, 120)
	}
	if p.Description != nil {
		checkText(&v, "description", *p.Description, false, 1000)
	}
	v.Check(p.Status == nil || p.Status.Valid(), "status", FieldUnknown, "status must be one of connecting, operational, degraded, disconnected")
	if p.Name == nil && p.Status == nil && p.Description == nil {
		v.Add("", FieldRequired, "the patch changes nothing: name at least one field")
	}
	return v.Err()
}
