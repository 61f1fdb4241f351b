package deploy

import (
	"os"
	"strings"
	"testing"

	"github.com/weirnet/weir/internal/config"
)

func TestSensorConfigLoads(t *testing.T) {
	f, err := config.Load("weir-sensor.toml")
	if err != nil {
		t.Fatal(err)
	}
	if f.Output.Dir != "/var/log/weir" || f.Output.RotateInterval.Hours() != 1 {
		t.Errorf("unexpected sensor config: %+v", f.Output)
	}
}

func TestUnitUsesExistingFlags(t *testing.T) {
	b, err := os.ReadFile("weir.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"-c ", "-i ", "--user ", "--metrics ", "-HUP"} {
		if !strings.Contains(string(b), flag) {
			t.Errorf("unit lacks %q", flag)
		}
	}
}
