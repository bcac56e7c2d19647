package accesshive

import "testing"

func TestCanManageRole(t *testing.T) {
	tests := []struct {
		actor, target Role
		want          bool
	}{
		{RoleOwner, RoleOwner, true}, {RoleOwner, RoleAdmin, true}, {RoleOwner, RoleClientUser, true},
		{RoleAdmin, RoleOwner, false}, {RoleAdmin, RoleAdmin, false}, {RoleAdmin, RoleClientManager, true},
		{RoleAdmin, RoleMember, true}, {RoleAdmin, RoleClientUser, true},
		{RoleClientManager, RoleMember, false}, {RoleMember, RoleMember, false}, {RoleClientUser, RoleClientUser, false},
	}
	for _, tt := range tests {
		if got := tt.actor.CanManageRole(tt.target); got != tt.want {
			t.Errorf("%s.CanManageRole(%s) = %v, want %v", tt.actor, tt.target, got, tt.want)
		}
	}
}

func TestValidEmail(t *testing.T) {
	for give, want := range map[string]bool{
		"a@b.co": true, "first.last+tag@sub.example.com": true,
		"": false, "a": false, "a@b": false, "A <a@b.co>": false, "a@b.co ": false, "@b.co": false,
	} {
		if got := ValidEmail(give); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", give, got, want)
		}
	}
}

func TestValidationErr(t *testing.T) {
	var v Validation
	if v.Err() != nil {
		t.Fatal("empty validation is an error")
	}
	v.Add("name", FieldRequired, "name is required")
	err := v.Err()
	if KindOf(err) != KindInvalid || CodeOf(err) != CodeValidation || len(ErrorOf(err).Fields) != 1 {
		t.Fatalf("Err() = %#v", err)
	}
}
