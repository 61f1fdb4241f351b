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
	if len(f.Capture.Interfaces) == 0 {
		t.Error("the sensor config names no interface to capture")
	}
	if err := f.Validate(); err != nil {
		t.Error(err)
	}
}

func TestUnitUsesExistingFlags(t *testing.T) {
	b, err := os.ReadFile("weir.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"-c ", "--user ", "--metrics ", "-HUP"} {
		if !strings.Contains(string(b), flag) {
			t.Errorf("unit lacks %q", flag)
		}
	}
}
