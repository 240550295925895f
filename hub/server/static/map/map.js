// The hub's reference map: the caller's open sites over the départements' outlines, from the
// hub alone (its GeoJSON export and its GraphQL endpoint; no tile server). Plain ES2017, no
// build step. docs/map.md says what it shows and how to open it.
"use strict";

(function () {
  const TOKEN_KEY = "hub.map.token";
  const SITES = "/exports/sites.geojson?filter=" +
    encodeURIComponent(JSON.stringify({ statuses: ["OPEN"] }));
  // The départements, by région (the nation's children), with their outlines. Pages of 20:
  // 18 régions, 13 départements at most in one, within an anonymous caller's cost budget.
  const OUTLINES = `query DepartementOutlines {
  territory(level: NATION) {
    children(first: 20) {
      nodes {
        ... on Region {
          children(first: 20) { nodes { code name ... on Departement { outline } } }
        }
      }
    }
  }
}`;
  const COLOURS = {
    OPEN: "#d7301f",
    RESORBED: "#1a9850",
    CLOSED_BY_JUSTICE: "#7b3294",
    CLOSED_BY_ADMINISTRATION: "#2c7bb6",
    CLOSED_OTHER: "#636363",
    UNKNOWN: "#969696",
  };
  const PRECISIONS = { EXACT: "exact place", COMMUNE_CENTRE: "commune centre" };
  const FRANCE = [[41.3, -5.2], [51.1, 9.6]];

  const status = document.getElementById("status");
  const signIn = document.getElementById("sign-in");
  const signOut = document.getElementById("sign-out");

  function say(text, error) {
    status.textContent = text;
    if (error) {
      status.setAttribute("data-error", error);
    } else {
      status.removeAttribute("data-error");
    }
  }

  // A token in the address's fragment (#token=…, which browsers never send to a server) is
  // kept for the tab's session and taken out of the address bar.
  function token() {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    if (fragment.has("token")) {
      sessionStorage.setItem(TOKEN_KEY, fragment.get("token").trim());
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  // The message of an error answer: the hub's are {"errors": [{"message": …}]}.
  async function failure(response) {
    let message = response.statusText;
    try {
      const body = await response.json();
      if (body.errors && body.errors.length) {
        message = body.errors.map((error) => error.message).join(" ");
      }
    } catch (ignored) {
      // Not JSON: the status text says enough.
    }
    const error = new Error(`${response.status} ${message}`);
    error.code = String(response.status);
    return error;
  }

  // Public reference data: asked without the token.
  async function outlines() {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query: OUTLINES }),
    });
    if (!response.ok) {
      throw await failure(response);
    }
    const body = await response.json();
    if (!body.data || !body.data.territory) {
      const errors = body.errors || [];
      throw new Error(errors.map((error) => error.message).join(" ") || "no territories");
    }
    const features = [];
    for (const region of body.data.territory.children.nodes) {
      for (const departement of region.children ? region.children.nodes : []) {
        let outline = departement.outline;
        if (typeof outline === "string") {
          outline = JSON.parse(outline);
        }
        if (outline) {
          features.push({
            type: "Feature",
            geometry: outline,
            properties: { code: departement.code, name: departement.name },
          });
        }
      }
    }
    return { type: "FeatureCollection", features: features };
  }

  // Draws the outlines; what the status line should add about them.
  async function base(map) {
    try {
      const shapes = await outlines();
      L.geoJSON(shapes, {
        pane: "outlines",
        interactive: false,
        style: { color: "#7a7a7a", weight: 1, fillColor: "#fbfaf7", fillOpacity: 1 },
      }).addTo(map);
      status.setAttribute("data-outlines-drawn", String(shapes.features.length));
      return shapes.features.length ? "" : " No département outlines on this hub yet.";
    } catch (error) {
      return ` No département outlines (${error.message}).`;
    }
  }

  async function sites(bearer) {
    const response = await fetch(SITES, { headers: { Authorization: `Bearer ${bearer}` } });
    if (!response.ok) {
      throw await failure(response);
    }
    return response.json();
  }

  function popup(feature) {
    const summary = feature.properties;
    const list = document.createElement("dl");
    list.className = "site-popup";
    const population = summary.population === null ? "unknown" : `${summary.population} people`;
    const rows = [
      ["Site", summary.name || "(no name)"],
      ["Commune", `${summary.commune || "?"} (${summary.communeCode})`],
      ["Population", population],
      ["Shown at", PRECISIONS[summary.locationPrecision] || summary.locationPrecision],
    ];
    for (const [term, value] of rows) {
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = term;
      dd.textContent = value;
      list.append(dt, dd);
    }
    return list;
  }

  function legend(statuses) {
    const control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      const box = L.DomUtil.create("div", "legend");
      for (const name of Object.keys(COLOURS).filter((status) => statuses.has(status))) {
        const line = L.DomUtil.create("div", "", box);
        const dot = L.DomUtil.create("i", "", line);
        dot.style.background = COLOURS[name];
        line.append(name);
      }
      const note = L.DomUtil.create("div", "", box);
      note.textContent = "Dashed: at the commune centre";
      return box;
    };
    return control;
  }

  function draw(map, collection) {
    let drawn = 0;
    const layer = L.geoJSON(collection, {
      filter: (feature) => Boolean(feature.geometry),
      pointToLayer: (feature, latlng) => {
        const summary = feature.properties;
        const colour = COLOURS[summary.status] || COLOURS.UNKNOWN;
        return L.circleMarker(latlng, {
          radius: 4 + Math.min(8, Math.sqrt(summary.population || 0) / 2),
          color: colour,
          fillColor: colour,
          fillOpacity: 0.6,
          weight: 2,
          dashArray: summary.locationPrecision === "EXACT" ? null : "3 3",
          className: `hub-site hub-site-${summary.status}`,
        });
      },
      onEachFeature: (feature, marker) => {
        drawn += 1;
        marker.bindPopup(() => popup(feature));
        // Hooks for tests and front-ends: which site and commune each marker is.
        marker.on("add", () => {
          const element = marker.getElement();
          if (element) {
            element.setAttribute("data-site", feature.id);
            element.setAttribute("data-commune", feature.properties.communeCode);
          }
        });
      },
    });
    layer.addTo(map);
    return { layer: layer, drawn: drawn };
  }

  async function show(map, bearer, drawingBase) {
    say("Loading the sites…");
    signIn.hidden = true;
    signOut.hidden = false;
    const collection = await sites(bearer);
    const outlinesNote = await drawingBase;
    const received = collection.features.length;
    const result = draw(map, collection);
    legend(new Set(collection.features.map((feature) => feature.properties.status))).addTo(map);
    const unplaced = received - result.drawn;
    if (result.drawn) {
      map.fitBounds(result.layer.getBounds(), { padding: [20, 20], maxZoom: 12 });
    }
    say(`${result.drawn} open sites drawn` +
      (unplaced ? `, ${unplaced} without a location (not drawn).` : ".") + outlinesNote);
    status.setAttribute("data-sites-received", String(received));
    status.setAttribute("data-sites-unplaced", String(unplaced));
    status.setAttribute("data-sites-drawn", String(result.drawn));
  }

  function start() {
    const map = L.map("map", { zoomSnap: 0.25 });
    map.createPane("outlines").style.zIndex = 350;
    map.fitBounds(FRANCE);

    signIn.addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, document.getElementById("token").value.trim());
      window.location.reload();
    });
    signOut.addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      window.location.reload();
    });

    // The outlines are drawn whatever happens to the sites.
    const drawingBase = base(map);
    const bearer = token();
    if (!bearer) {
      signIn.hidden = false;
      say("Paste a token (make token WHO=…), or open /map#token=<token>.");
      return;
    }
    show(map, bearer, drawingBase).catch((error) => {
      say(`The sites could not be loaded: ${error.message}`, error.code || "network");
      if (error.code === "401") {
        signIn.hidden = false;
      }
    });
  }

  start();
})();
