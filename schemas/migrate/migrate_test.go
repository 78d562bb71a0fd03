package migrate

import (
	"reflect"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []int
		wantErr bool
	}{
		{"ordered", fstest.MapFS{"m/0002_b.sql": {Data: []byte("b")}, "m/0001_a.sql": {Data: []byte("a")}, "m/README": {}}, []int{1, 2}, false},
		{"duplicate version", fstest.MapFS{"m/0001_a.sql": {}, "m/1_b.sql": {}}, nil, true},
		{"bad name", fstest.MapFS{"m/init.sql": {}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := Load(tt.files, "m")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("versions = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStatements(t *testing.T) {
	got := Statements("-- comment\nCREATE TABLE a (x Int8);\n\n-- two\nCREATE TABLE b (y String)\n")
	want := []string{"CREATE TABLE a (x Int8)", "CREATE TABLE b (y String)"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
