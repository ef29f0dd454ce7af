// Conformance check of the DigitalOcean simulator against DigitalOcean's official Go client, godo,
// used unchanged and pointed at the simulator: account, regions and sizes (with pagination), SSH keys,
// a droplet created with tags, SSH keys and user data, its create action followed by the href the API
// gave, list by tag, power off and on, resize, the error envelope, delete. Any mismatch exits 1.
//
// Usage: DO_SIM_URL=http://127.0.0.1:PORT DO_TOKEN=dop_v1_... godo-conformance
// (DO_SIM_URL is the simulator's root, without /v2: godo's paths start with v2/.)
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/digitalocean/godo"
	"golang.org/x/oauth2"
)

type check struct {
	ctx    context.Context
	client *godo.Client
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func ok(format string, args ...any) {
	fmt.Printf("ok: "+format+"\n", args...)
}

func must[T any](value T, _ *godo.Response, err error) T {
	if err != nil {
		fail("%v", err)
	}
	return value
}

// An OpenSSH public key line for a fresh ed25519 key, built without x/crypto/ssh.
func publicKeyLine() string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		fail("generate key: %v", err)
	}
	var blob []byte
	for _, part := range [][]byte{[]byte("ssh-ed25519"), pub} {
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(part)))
		blob = append(blob, part...)
	}
	return "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob) + " godo-conformance"
}

// Polls an action through the URI the API gave (as clients that follow links.actions[].href do).
func (c check) waitHref(href string) *godo.Action {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		action := must(c.client.DropletActions.GetByURI(c.ctx, href))
		if action.Status != godo.ActionInProgress {
			return action
		}
		time.Sleep(100 * time.Millisecond)
	}
	fail("action %s still in progress after 60 s", href)
	return nil
}

func (c check) waitAction(id int) *godo.Action {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		action := must(c.client.Actions.Get(c.ctx, id))
		if action.Status != godo.ActionInProgress {
			return action
		}
		time.Sleep(100 * time.Millisecond)
	}
	fail("action %d still in progress after 60 s", id)
	return nil
}

func (c check) waitStatus(id int, status string) *godo.Droplet {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		droplet := must(c.client.Droplets.Get(c.ctx, id))
		if droplet.Status == status {
			return droplet
		}
		time.Sleep(100 * time.Millisecond)
	}
	fail("droplet %d not %s after 60 s", id, status)
	return nil
}

func main() {
	base, token := os.Getenv("DO_SIM_URL"), os.Getenv("DO_TOKEN")
	if base == "" || token == "" {
		fail("DO_SIM_URL and DO_TOKEN must be set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	httpClient := oauth2.NewClient(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}))
	client, err := godo.New(httpClient, godo.SetBaseURL(strings.TrimSuffix(base, "/")+"/"))
	if err != nil {
		fail("client: %v", err)
	}
	c := check{ctx: ctx, client: client}

	// Account and the rate-limit headers godo reads into Response.Rate.
	account, resp, err := client.Account.Get(ctx)
	if err != nil {
		fail("account: %v", err)
	}
	if account.Email == "" || account.Status != "active" || account.DropletLimit <= 0 {
		fail("account: %+v", account)
	}
	if resp.Rate.Limit != 5000 || resp.Rate.Remaining <= 0 || resp.Rate.Reset.Before(time.Now()) {
		fail("rate: %+v", resp.Rate)
	}
	ok("account %s, rate %d/%d", account.Email, resp.Rate.Remaining, resp.Rate.Limit)

	// Pagination: walk /v2/sizes five at a time the way godo's docs show, until the last page.
	var sizes []godo.Size
	total := 0
	for opt := (&godo.ListOptions{PerPage: 5}); ; {
		page, resp, err := client.Sizes.List(ctx, opt)
		if err != nil {
			fail("sizes: %v", err)
		}
		sizes = append(sizes, page...)
		total = resp.Meta.Total
		if resp.Links == nil || resp.Links.IsLastPage() {
			break
		}
		current, err := resp.Links.CurrentPage()
		if err != nil {
			fail("current page: %v", err)
		}
		if current != opt.Page && !(opt.Page == 0 && current == 1) {
			fail("current page %d, asked for %d", current, opt.Page)
		}
		opt.Page = current + 1
	}
	if len(sizes) != total || total < 6 {
		fail("sizes: %d listed of meta.total %d", len(sizes), total)
	}
	regions := must(client.Regions.List(ctx, &godo.ListOptions{PerPage: 200}))
	found := false
	for _, r := range regions {
		found = found || (r.Slug == "nyc1" && r.Available)
	}
	if !found {
		fail("regions: nyc1 not available in %v", regions)
	}
	ok("%d sizes over pages of 5, %d regions", len(sizes), len(regions))

	// SSH key by fingerprint.
	key := must(client.Keys.Create(ctx, &godo.KeyCreateRequest{Name: "godo-conformance", PublicKey: publicKeyLine()}))
	if got := must(client.Keys.GetByFingerprint(ctx, key.Fingerprint)); got.ID != key.ID {
		fail("key by fingerprint: %+v", got)
	}
	_, _, err = client.Keys.Create(ctx, &godo.KeyCreateRequest{Name: "again", PublicKey: key.PublicKey})
	var refusal *godo.ErrorResponse
	if !errors.As(err, &refusal) || refusal.Response.StatusCode != 422 || refusal.Message != "SSH Key is already in use on your account" {
		fail("duplicate key: %v", err)
	}
	ok("key %d %s", key.ID, key.Fingerprint)

	// A droplet, its create action followed through links.actions[].href.
	tag := fmt.Sprintf("godo-conformance:%d", time.Now().UnixNano())
	droplet, resp, err := client.Droplets.Create(ctx, &godo.DropletCreateRequest{
		Name:     "godo-conformance",
		Region:   "nyc1",
		Size:     "s-1vcpu-1gb",
		Image:    godo.DropletCreateImage{Slug: "ubuntu-24-04-x64"},
		SSHKeys:  []godo.DropletCreateSSHKey{{Fingerprint: key.Fingerprint}},
		Tags:     []string{tag},
		UserData: "#cloud-config\nruncmd:\n  - true\n",
	})
	if err != nil {
		fail("create: %v", err)
	}
	if resp.StatusCode != http.StatusAccepted || droplet.Status != "new" || len(resp.Links.Actions) != 1 {
		fail("create answer: %d %+v %+v", resp.StatusCode, droplet, resp.Links)
	}
	link := resp.Links.Actions[0]
	if link.Rel != "create" || !strings.HasPrefix(link.HREF, strings.TrimSuffix(base, "/")+"/v2/actions/") {
		fail("create link: %+v", link)
	}
	if action := c.waitHref(link.HREF); action.Status != godo.ActionCompleted || action.Type != "create" || action.ResourceID != droplet.ID {
		fail("create action: %+v", action)
	}
	active := c.waitStatus(droplet.ID, "active")
	ip, err := active.PublicIPv4()
	if err != nil || ip == "" {
		fail("public IPv4: %q %v", ip, err)
	}
	ok("droplet %d active at %s", droplet.ID, ip)

	tagged := must(client.Droplets.ListByTag(ctx, tag, nil))
	if len(tagged) != 1 || tagged[0].ID != droplet.ID || tagged[0].Tags[0] != tag {
		fail("list by tag: %+v", tagged)
	}
	ok("listed by tag %s", tag)

	// Power off, resize (disk too), power on.
	off := must(client.DropletActions.PowerOff(ctx, droplet.ID))
	if _, _, err := client.DropletActions.PowerOn(ctx, droplet.ID); !errors.As(err, &refusal) || refusal.Response.StatusCode != 422 || refusal.Message != "Droplet already has a pending event." {
		fail("an event while another runs: %v", err)
	}
	if action := c.waitAction(off.ID); action.Status != godo.ActionCompleted {
		fail("power off: %+v", action)
	}
	c.waitStatus(droplet.ID, "off")
	resize := must(client.DropletActions.Resize(ctx, droplet.ID, "s-2vcpu-4gb", true))
	if action := c.waitAction(resize.ID); action.Status != godo.ActionCompleted {
		fail("resize: %+v", action)
	}
	on := must(client.DropletActions.PowerOn(ctx, droplet.ID))
	if action := c.waitAction(on.ID); action.Status != godo.ActionCompleted {
		fail("power on: %+v", action)
	}
	grown := c.waitStatus(droplet.ID, "active")
	if grown.SizeSlug != "s-2vcpu-4gb" || grown.Memory != 4096 || grown.Disk != 80 || grown.Vcpus != 2 {
		fail("after resize: %+v", grown)
	}
	ok("powered off, resized to %s (%d MiB, %d GiB), powered on", grown.SizeSlug, grown.Memory, grown.Disk)

	// Delete; afterwards the droplet is a 404 in the API's envelope, with a request id.
	if resp, err := client.Droplets.Delete(ctx, droplet.ID); err != nil || resp.StatusCode != http.StatusNoContent {
		fail("delete: %v", err)
	}
	_, _, err = client.Droplets.Get(ctx, droplet.ID)
	if !errors.As(err, &refusal) || refusal.Response.StatusCode != 404 || refusal.Message == "" || refusal.RequestID == "" {
		fail("get after delete: %v", err)
	}
	if _, err := client.Keys.DeleteByID(ctx, key.ID); err != nil {
		fail("delete key: %v", err)
	}
	ok("deleted; then %v", err)
	fmt.Println("godo conformance: all checks passed")
}
