package blueprint

import (
	"fmt"
	"html"
	"sort"
	"strings"
)

// columns place layers left to right in the diagram, following the data.
var columns = [][]string{
	{"sources"},
	{"ingestion", "orchestration"},
	{"lake", "warehouse", "feature-store", "vector-store"},
	{"training", "tracking", "cicd"},
	{"gateway", "serving", "autoscaling"},
	{"monitoring"},
}

type box struct {
	id, title, sub string
	x, y, w, h     float64
}

// resolve maps an edge endpoint to component ids: "serving" means every
// serving engine, "sources" and "users" are outside actors.
func (bp *Blueprint) resolve(id string) []string {
	var out []string
	for _, c := range bp.Components {
		if c.ID == id || (id == "serving" && c.Layer == "serving") || (id == "vector-store" && c.Layer == "vector-store") {
			out = append(out, c.ID)
		}
	}
	if len(out) == 0 && (id == "sources" || id == "users") {
		out = []string{id}
	}
	return out
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func (bp *Blueprint) layout() (map[string]*box, []*box, float64, float64) {
	const colW, boxW, boxH, gap, top = 210.0, 190.0, 46.0, 14.0, 40.0
	boxes := map[string]*box{}
	var order []*box
	maxY := 0.0
	hasUsers := false
	for _, e := range bp.Edges {
		if e.From == "users" {
			hasUsers = true
		}
	}
	for ci, layers := range columns {
		y := top
		if ci == 0 {
			actors := []string{"sources"}
			if hasUsers {
				actors = append(actors, "users")
			}
			for _, a := range actors {
				bx := &box{id: a, title: map[string]string{"sources": "Data sources", "users": "Users and apps"}[a], x: 10, y: y, w: boxW - 40, h: boxH}
				boxes[a] = bx
				order = append(order, bx)
				y += boxH + gap
			}
			continue
		}
		for _, l := range layers {
			for _, c := range bp.Components {
				if c.Layer != l || strings.HasPrefix(c.ID, "cluster-") {
					continue
				}
				sub := ""
				if len(c.Serves) > 0 {
					sub = strings.Join(c.Serves, ", ")
				}
				bx := &box{id: c.ID, title: c.Name, sub: sub, x: 10 + float64(ci)*colW - 40, y: y, w: boxW, h: boxH}
				boxes[c.ID] = bx
				order = append(order, bx)
				y += boxH + gap
			}
		}
		if y > maxY {
			maxY = y
		}
	}
	// Security and platform across the bottom.
	x := 10.0
	y := maxY + 30
	var sec []Component
	for _, c := range bp.Components {
		if c.Layer == "security" || strings.HasPrefix(c.ID, "cluster-") {
			sec = append(sec, c)
		}
	}
	sort.SliceStable(sec, func(i, j int) bool {
		return strings.HasPrefix(sec[i].ID, "cluster-") && !strings.HasPrefix(sec[j].ID, "cluster-")
	})
	for _, c := range sec {
		bx := &box{id: c.ID, title: c.Name, x: x, y: y, w: boxW, h: boxH}
		boxes[c.ID] = bx
		order = append(order, bx)
		x += boxW + 10
		if x+boxW > float64(len(columns))*colW {
			x = 10
			y += boxH + gap
		}
	}
	return boxes, order, float64(len(columns))*colW - 20, y + boxH + 20
}

// SVG draws the blueprint: data flows left to right, security and the
// clusters underneath. Self-contained, no fonts or scripts loaded.
func (bp *Blueprint) SVG() string {
	boxes, order, w, h := bp.layout()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="100%%" style="max-width:%.0fpx" viewBox="0 0 %.0f %.0f" role="img" aria-label="architecture diagram">`, w, w, h)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#7b869a"/></marker></defs>`)
	b.WriteString(`<style>.bx{fill:#f3f6fb;stroke:#4a78c2;stroke-width:1.2}.sec{fill:#fbf5ec;stroke:#c08a3e}.act{fill:#eef6ee;stroke:#4f9a5a}.bt{font:600 11px sans-serif;fill:#1d2330}.bs{font:10px sans-serif;fill:#5b6578}.ed{stroke:#7b869a;stroke-width:1.1;fill:none}.el{font:9px sans-serif;fill:#7b869a}.hd{font:600 12px sans-serif;fill:#3b4558}</style>`)
	heads := []string{"", "Ingest & orchestrate", "Lake, features, vectors", "Train, track, ship", "Serve", "Observe"}
	for i, hd := range heads {
		if hd != "" {
			fmt.Fprintf(&b, `<text x="%.0f" y="22" class="hd">%s</text>`, 10+float64(i)*210-40, hd)
		}
	}
	seen := map[string]bool{}
	for _, e := range bp.Edges {
		for _, f := range bp.resolve(e.From) {
			for _, t := range bp.resolve(e.To) {
				a, ok1 := boxes[f]
				c, ok2 := boxes[t]
				key := f + ">" + t
				if !ok1 || !ok2 || seen[key] || f == t {
					continue
				}
				seen[key] = true
				x1, y1 := a.x+a.w, a.y+a.h/2
				x2, y2 := c.x, c.y+c.h/2
				if c.x <= a.x { // same or earlier column: connect bottom to top
					x1, y1 = a.x+a.w/2, a.y+a.h
					x2, y2 = c.x+c.w/2, c.y
				}
				mx := (x1 + x2) / 2
				fmt.Fprintf(&b, `<path class="ed" d="M%.1f %.1f C%.1f %.1f %.1f %.1f %.1f %.1f" marker-end="url(#arrow)"><title>%s</title></path>`, x1, y1, mx, y1, mx, y2, x2, y2, html.EscapeString(e.Label))
			}
		}
	}
	for _, bx := range order {
		cls := "bx"
		if bx.id == "sources" || bx.id == "users" {
			cls = "bx act"
		} else if bx.y > 0 && isSecurity(bp, bx.id) {
			cls = "bx sec"
		}
		fmt.Fprintf(&b, `<g><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="6" class="%s"/>`, html.EscapeString(bx.title), bx.x, bx.y, bx.w, bx.h, cls)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="bt">%s</text>`, bx.x+7, bx.y+18, html.EscapeString(short(bx.title, 32)))
		if bx.sub != "" {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="bs">%s</text>`, bx.x+7, bx.y+34, html.EscapeString(short(bx.sub, 36)))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func isSecurity(bp *Blueprint, id string) bool {
	for _, c := range bp.Components {
		if c.ID == id {
			return c.Layer == "security" || strings.HasPrefix(c.ID, "cluster-")
		}
	}
	return false
}

// Mermaid writes the blueprint as a Mermaid flowchart for Markdown.
func (bp *Blueprint) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	nid := mermaidID
	label := func(s string) string { return mermaidText(short(s, 60)) }
	hasUsers := false
	for _, e := range bp.Edges {
		if e.From == "users" {
			hasUsers = true
		}
	}
	fmt.Fprintf(&b, "  %s([\"Data sources\"])\n", nid("sources"))
	if hasUsers {
		fmt.Fprintf(&b, "  %s([\"Users and apps\"])\n", nid("users"))
	}
	heads := []string{"", "Ingest and orchestrate", "Lake, features, vectors", "Train, track, ship", "Serve", "Observe"}
	for i, layers := range columns {
		if i == 0 {
			continue
		}
		var lines []string
		for _, l := range layers {
			for _, c := range bp.Components {
				if c.Layer == l && !strings.HasPrefix(c.ID, "cluster-") {
					lines = append(lines, fmt.Sprintf("    %s[%s]", nid(c.ID), label(c.Name)))
				}
			}
		}
		if len(lines) > 0 {
			fmt.Fprintf(&b, "  subgraph col%d[%s]\n%s\n  end\n", i, mermaidText(heads[i]), strings.Join(lines, "\n"))
		}
	}
	var sec []string
	for _, c := range bp.Components {
		if c.Layer == "security" || strings.HasPrefix(c.ID, "cluster-") {
			sec = append(sec, fmt.Sprintf("    %s[%s]", nid(c.ID), label(c.Name)))
		}
	}
	if len(sec) > 0 {
		fmt.Fprintf(&b, "  subgraph security[%s]\n%s\n  end\n", mermaidText("Security, governance and clusters"), strings.Join(sec, "\n"))
	}
	seen := map[string]bool{}
	for _, e := range bp.Edges {
		for _, f := range bp.resolve(e.From) {
			for _, t := range bp.resolve(e.To) {
				k := f + ">" + t
				if seen[k] || f == t {
					continue
				}
				seen[k] = true
				fmt.Fprintf(&b, "  %s -->|%s| %s\n", nid(f), label(e.Label), nid(t))
			}
		}
	}
	return b.String()
}

// mermaidID is a node id: "n_" and the component id's slug with '-' as
// '_' (slugs hold no '_', so distinct ids stay distinct), never a Mermaid
// keyword such as "end".
func mermaidID(id string) string {
	return "n_" + strings.ReplaceAll(slug(id), "-", "_")
}

// mermaidText is a quoted Mermaid label: letters, digits, spaces and plain
// punctuation as they are, every other character (quotes, brackets, pipes,
// '<', '#', backticks, line breaks, non-ASCII) as a Mermaid entity code
// (#NNN;), so no label can end the quote, open markup or break the fence.
func mermaidText(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(" ,.:()/+-_%=", r):
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "#%d;", r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
