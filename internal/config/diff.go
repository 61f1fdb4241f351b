package config

import (
	"reflect"
	"sort"
	"strings"
)

// Changed lists the keys whose values differ between a and b, by their
// names in the file ("output.rotate_interval", "engine.filter"); an
// analyzer table or a [[plugin]] table that changed in any way is named as
// a whole ("analyzer.http", "plugin"). A running sensor uses it to tell
// what a reload changes.
func Changed(a, b File) []string {
	var out []string
	av, bv := reflect.ValueOf(a), reflect.ValueOf(b)
	t := av.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := tomlName(f)
		if name == "" || !f.IsExported() {
			continue
		}
		x, y := av.Field(i), bv.Field(i)
		switch {
		case f.Type.Kind() == reflect.Struct:
			for j := 0; j < f.Type.NumField(); j++ {
				if k := tomlName(f.Type.Field(j)); k != "" && !reflect.DeepEqual(x.Field(j).Interface(), y.Field(j).Interface()) {
					out = append(out, name+"."+k)
				}
			}
		case f.Type.Kind() == reflect.Map:
			keys := map[string]bool{}
			for _, k := range x.MapKeys() {
				keys[k.String()] = true
			}
			for _, k := range y.MapKeys() {
				keys[k.String()] = true
			}
			for k := range keys {
				xv, yv := x.MapIndex(reflect.ValueOf(k)), y.MapIndex(reflect.ValueOf(k))
				if xv.IsValid() != yv.IsValid() || xv.IsValid() && !reflect.DeepEqual(xv.Interface(), yv.Interface()) {
					out = append(out, name+"."+k)
				}
			}
		default:
			if !reflect.DeepEqual(x.Interface(), y.Interface()) {
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out
}

func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if name == "-" {
		return ""
	}
	return name
}
