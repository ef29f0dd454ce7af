// Command hcloud-conformance drives the fedops Hetzner Cloud simulator with Hetzner's official Go
// client (hcloud-go) and exits non-zero at the first answer the client could not use or that is not
// what the real API would say. Usage:
//
//	HCLOUD_ENDPOINT=http://127.0.0.1:PORT/v1 HCLOUD_TOKEN=... SSH_PUBLIC_KEY='ssh-ed25519 ...' hcloud-conformance
package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "conformance: FAIL: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("conformance: OK")
}

func check(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

// inject arms a fault in the simulator (its /_simulator/faults control route, beside /v1).
func inject(endpoint, rule string) error {
	url := strings.TrimSuffix(endpoint, "/v1") + "/_simulator/faults"
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(rule))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return check(resp.StatusCode == http.StatusCreated, "inject %s: HTTP %d", rule, resp.StatusCode)
}

func run() error {
	endpoint, token, publicKey := os.Getenv("HCLOUD_ENDPOINT"), os.Getenv("HCLOUD_TOKEN"), os.Getenv("SSH_PUBLIC_KEY")
	if endpoint == "" || token == "" || publicKey == "" {
		return fmt.Errorf("HCLOUD_ENDPOINT, HCLOUD_TOKEN and SSH_PUBLIC_KEY are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := hcloud.NewClient(
		hcloud.WithEndpoint(endpoint),
		hcloud.WithToken(token),
		hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(100 * time.Millisecond)}),
		hcloud.WithApplication("fedops-conformance", "1"),
	)

	// A bad token: the client's typed error, not a decoding failure.
	_, _, err := hcloud.NewClient(hcloud.WithEndpoint(endpoint), hcloud.WithToken("wrong")).Location.List(ctx, hcloud.LocationListOpts{})
	if err := check(hcloud.IsError(err, hcloud.ErrorCodeUnauthorized), "bad token: want unauthorized, got %v", err); err != nil {
		return err
	}

	// Catalogue, paging and the rate-limit headers.
	locations, err := client.Location.All(ctx)
	if err != nil {
		return fmt.Errorf("locations: %w", err)
	}
	if err := check(len(locations) >= 2, "locations: got %d", len(locations)); err != nil {
		return err
	}
	page, resp, err := client.Location.List(ctx, hcloud.LocationListOpts{ListOpts: hcloud.ListOpts{Page: 2, PerPage: 1}})
	if err != nil {
		return fmt.Errorf("location page 2: %w", err)
	}
	if err := check(len(page) == 1 && resp.Meta.Pagination != nil && resp.Meta.Pagination.Page == 2 &&
		resp.Meta.Pagination.LastPage == len(locations) && resp.Meta.Pagination.TotalEntries == len(locations),
		"pagination meta: %+v", resp.Meta.Pagination); err != nil {
		return err
	}
	if err := check(resp.Meta.Ratelimit.Limit == 3600 && resp.Meta.Ratelimit.Remaining > 0 &&
		resp.Meta.Ratelimit.Reset.After(time.Now().Add(-time.Minute)), "rate limit meta: %+v", resp.Meta.Ratelimit); err != nil {
		return err
	}
	// A 429 the client retries by itself (it backs off on rate_limit_exceeded), and a 423 it must not.
	if err := inject(endpoint, `{"kind":"rate-limit","method":"GET","path":"^/v1/locations$"}`); err != nil {
		return err
	}
	if _, _, err := client.Location.List(ctx, hcloud.LocationListOpts{}); err != nil {
		return fmt.Errorf("locations after a 429: %w", err)
	}
	if err := inject(endpoint, `{"kind":"lock","method":"GET","path":"^/v1/locations$"}`); err != nil {
		return err
	}
	_, _, err = client.Location.List(ctx, hcloud.LocationListOpts{})
	if err := check(hcloud.IsError(err, hcloud.ErrorCodeLocked), "injected lock: want locked, got %v", err); err != nil {
		return err
	}

	serverType, _, err := client.ServerType.GetByName(ctx, "cpx11")
	if err != nil || serverType == nil {
		return fmt.Errorf("server type cpx11: %v %v", serverType, err)
	}
	if err := check(serverType.Cores == 2 && serverType.Memory == 2 && serverType.Disk == 40, "cpx11: %+v", serverType); err != nil {
		return err
	}
	image, _, err := client.Image.GetByNameAndArchitecture(ctx, "ubuntu-24.04", hcloud.ArchitectureX86)
	if err != nil || image == nil {
		return fmt.Errorf("image ubuntu-24.04: %v %v", image, err)
	}
	location, _, err := client.Location.GetByName(ctx, "fsn1")
	if err != nil || location == nil {
		return fmt.Errorf("location fsn1: %v %v", location, err)
	}

	// SSH keys: create, duplicate refused as uniqueness_error, found by fingerprint.
	key, _, err := client.SSHKey.Create(ctx, hcloud.SSHKeyCreateOpts{Name: "conformance", PublicKey: publicKey})
	if err != nil {
		return fmt.Errorf("ssh key create: %w", err)
	}
	_, _, err = client.SSHKey.Create(ctx, hcloud.SSHKeyCreateOpts{Name: "conformance-again", PublicKey: publicKey})
	if err := check(hcloud.IsError(err, hcloud.ErrorCodeUniquenessError), "duplicate ssh key: got %v", err); err != nil {
		return err
	}
	byFingerprint, _, err := client.SSHKey.GetByFingerprint(ctx, key.Fingerprint)
	if err != nil || byFingerprint == nil || byFingerprint.ID != key.ID {
		return fmt.Errorf("ssh key by fingerprint: %v %v", byFingerprint, err)
	}

	// A server through its life.
	result, _, err := client.Server.Create(ctx, hcloud.ServerCreateOpts{
		Name:       "hcloud-conformance",
		ServerType: serverType,
		Image:      image,
		Location:   location,
		SSHKeys:    []*hcloud.SSHKey{key},
		Labels:     map[string]string{"fedops-conformance": "yes"},
		UserData:   "#cloud-config\nssh_authorized_keys: []\n",
	})
	if err != nil {
		return fmt.Errorf("server create: %w", err)
	}
	if err := check(result.RootPassword == "" && result.Server.Status == hcloud.ServerStatusInitializing &&
		result.Server.PublicNet.IPv4.IP != nil && result.Action.Command == "create_server",
		"create result: %+v %+v", result.Server, result.Action); err != nil {
		return err
	}
	if err := client.Action.WaitFor(ctx, append([]*hcloud.Action{result.Action}, result.NextActions...)...); err != nil {
		return fmt.Errorf("wait for create: %w", err)
	}
	_, _, err = client.Server.Create(ctx, hcloud.ServerCreateOpts{Name: "hcloud-conformance", ServerType: serverType, Image: image})
	if err := check(hcloud.IsError(err, hcloud.ErrorCodeUniquenessError), "duplicate name: got %v", err); err != nil {
		return err
	}
	server, _, err := client.Server.GetByID(ctx, result.Server.ID)
	if err != nil || server == nil {
		return fmt.Errorf("server get: %v %v", server, err)
	}
	if err := check(server.Status == hcloud.ServerStatusRunning && server.Location != nil && server.Location.Name == "fsn1" &&
		server.ServerType.Name == "cpx11" && server.Labels["fedops-conformance"] == "yes",
		"server after create: %+v", server); err != nil {
		return err
	}
	labelled, err := client.Server.AllWithOpts(ctx, hcloud.ServerListOpts{ListOpts: hcloud.ListOpts{LabelSelector: "fedops-conformance==yes"}})
	if err != nil || len(labelled) != 1 || labelled[0].ID != server.ID {
		return fmt.Errorf("servers by label: %v %v", labelled, err)
	}
	unlabelled, err := client.Server.AllWithOpts(ctx, hcloud.ServerListOpts{ListOpts: hcloud.ListOpts{LabelSelector: "!fedops-conformance"}})
	if err != nil || len(unlabelled) != 0 {
		return fmt.Errorf("servers without the label: %v %v", unlabelled, err)
	}

	// Power off, change type (disk grows), power on.
	action, _, err := client.Server.Poweroff(ctx, server)
	if err == nil {
		err = client.Action.WaitFor(ctx, action)
	}
	if err != nil {
		return fmt.Errorf("poweroff: %w", err)
	}
	bigger, _, err := client.ServerType.GetByName(ctx, "cpx21")
	if err != nil || bigger == nil {
		return fmt.Errorf("server type cpx21: %v %v", bigger, err)
	}
	action, _, err = client.Server.ChangeType(ctx, server, hcloud.ServerChangeTypeOpts{ServerType: bigger, UpgradeDisk: true})
	if err == nil {
		err = client.Action.WaitFor(ctx, action)
	}
	if err != nil {
		return fmt.Errorf("change type: %w", err)
	}
	// An action that ends in error: the waiter hands back the action's own code.
	if err := inject(endpoint, fmt.Sprintf(`{"kind":"task-error","method":"POST","path":"^/v1/servers/%d/actions/poweron$","message":"host failed"}`, server.ID)); err != nil {
		return err
	}
	action, _, err = client.Server.Poweron(ctx, server)
	if err == nil {
		err = client.Action.WaitFor(ctx, action)
	}
	if err := check(err != nil && strings.Contains(err.Error(), "host failed"), "failed poweron: got %v", err); err != nil {
		return err
	}
	action, _, err = client.Server.Poweron(ctx, server)
	if err == nil {
		err = client.Action.WaitFor(ctx, action)
	}
	if err != nil {
		return fmt.Errorf("poweron: %w", err)
	}
	server, _, err = client.Server.GetByID(ctx, server.ID)
	if err != nil || server == nil {
		return fmt.Errorf("server get after resize: %v %v", server, err)
	}
	if err := check(server.Status == hcloud.ServerStatusRunning && server.ServerType.Name == "cpx21" && server.PrimaryDiskSize == 80,
		"server after resize: status %s type %s disk %d", server.Status, server.ServerType.Name, server.PrimaryDiskSize); err != nil {
		return err
	}
	server, _, err = client.Server.Update(ctx, server, hcloud.ServerUpdateOpts{Labels: map[string]string{"fedops-conformance": "done"}})
	if err != nil || server.Labels["fedops-conformance"] != "done" {
		return fmt.Errorf("update labels: %v %v", server, err)
	}

	// Delete: an action, then 404 (the client answers nil).
	deleted, _, err := client.Server.DeleteWithResult(ctx, server)
	if err == nil {
		err = client.Action.WaitFor(ctx, deleted.Action)
	}
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	gone, _, err := client.Server.GetByID(ctx, server.ID)
	if err := check(err == nil && gone == nil, "server after delete: %v %v", gone, err); err != nil {
		return err
	}
	if _, err := client.SSHKey.Delete(ctx, key); err != nil {
		return fmt.Errorf("ssh key delete: %w", err)
	}
	return nil
}
