"""French vocabulary the demo data is drawn from. Every name here is invented or generic."""

from __future__ import annotations

FEMALE_FIRST_NAMES: tuple[str, ...] = (
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Emma", "Jade", "Louise", "Alice",
    "Clara", "Julie", "Pauline", "Marion", "Laura", "Émilie", "Aurélie", "Anaïs", "Claire",
    "Céline", "Nathalie", "Isabelle", "Sandrine", "Valérie", "Sophie", "Élodie", "Hélène",
    "Fatima", "Nadia", "Samira", "Aïcha", "Fatou", "Aminata", "Yasmine", "Leïla", "Mariam",
    "Ioana", "Elena", "Andreea", "Mihaela", "Ana", "Maria", "Lucie", "Margaux", "Agathe",
    "Mathilde", "Charlotte", "Océane", "Salomé", "Zoé", "Anissa", "Chantal", "Estelle", "Maëlle",
)  # fmt: skip
MALE_FIRST_NAMES: tuple[str, ...] = (
    "Thomas", "Nicolas", "Julien", "Maxime", "Antoine", "Alexandre", "Guillaume", "Romain",
    "Pierre", "Sébastien", "Vincent", "Mathieu", "Florian", "Kevin", "Jérémy", "David",
    "Olivier", "Christophe", "Stéphane", "Laurent", "Frédéric", "Philippe", "Éric", "Benoît",
    "Hugo", "Lucas", "Louis", "Arthur", "Théo", "Paul", "Baptiste", "Clément", "Quentin",
    "Adrien", "Karim", "Mehdi", "Yacine", "Rachid", "Sofiane", "Moussa", "Mamadou", "Ibrahim",
    "Bilal", "Samuel", "Mihai", "Andrei", "Florin", "Adrian", "Bogdan", "Marius", "Yann",
    "Gaël", "Loïc", "Erwan", "Jean", "Marc", "François", "Didier", "Patrick", "Fabien",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard",
    "Barbier", "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux",
    "Colin", "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud",
    "Dumas", "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey",
    "Leclerc", "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte", "Lopez", "Jean",
    "Dupuy", "Guillot", "Hubert", "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin",
    "Louis", "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein",
    "Jacquet", "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charles",
    "Renault", "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé",
    "Schneider", "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Julien", "Prévost",
    "Millet", "Perrot", "Daniel", "Le Roux", "Cousin", "Germain", "Breton", "Besson",
    "Benali", "Haddad", "Diallo", "Traoré", "Cissé", "Kone", "Mendy", "Popescu", "Ionescu",
    "Dumitru", "Stoica", "Nguyen", "Tran", "Da Silva", "Pereira", "Ferreira", "Madi",
    "Soilihi", "Ahamada", "Hoarau", "Grondin", "Fontaine", "Lebon", "Jean-Baptiste",
)  # fmt: skip

# Street names found in many French communes (no house of anyone in particular).
STREETS: tuple[str, ...] = (
    "rue des Lilas", "rue Jean-Jaurès", "avenue de la République", "chemin des Vignes",
    "rue Victor-Hugo", "avenue du Général-de-Gaulle", "rue de la Gare", "chemin du Moulin",
    "route de la Briqueterie", "rue des Peupliers", "impasse des Acacias", "chemin des Sablières",
    "rue du Stade", "avenue Pasteur", "rue Gambetta", "quai de la Garonne", "rue de l'Usine",
    "chemin de la Gravière", "route nationale", "rue des Tilleuls", "allée des Platanes",
    "rue Paul-Vaillant-Couturier", "avenue Jean-Moulin", "rue Émile-Zola", "chemin de Halage",
    "rue de la Libération", "boulevard de l'Europe", "rue des Rosiers", "chemin des Prés",
    "rue du Canal", "avenue des Marronniers", "rue de la Voie-Ferrée", "chemin de la Croix",
    "rue Louise-Michel", "rue Anatole-France", "avenue Aristide-Briand", "rue des Écoles",
    "chemin du Cimetière", "rue de la Zone-Industrielle", "avenue de Verdun", "rue du Marché",
    "chemin des Carrières", "rue des Fleurs", "route de l'Aérodrome", "rue Pierre-Sémard",
    "rue du 8-Mai-1945", "chemin de la Station-d'Épuration", "rue des Artisans",
    "boulevard périphérique", "rue des Jardins", "chemin des Bœufs", "rue de la Fontaine",
)  # fmt: skip

# Places named after what they used to be, as bidonvilles often are.
LAND_PLACES: tuple[str, ...] = (
    "la Briqueterie", "la Gravière", "la Friche ferroviaire", "la Sablière",
    "la Zone artisanale", "l'échangeur", "la Voie ferrée", "l'ancienne Décharge",
    "la Tuilerie", "les Jardins familiaux", "la Prairie", "la Rocade", "le Pont",
    "le Terrain vague", "la Carrière", "l'ancien Camping", "le Bois", "la Station-service",
)  # fmt: skip
BUILDING_PLACES: tuple[str, ...] = (
    "l'ancienne Usine", "l'ancien Garage", "l'ancienne Caserne", "l'ancien Marché-gare",
    "l'ancien Centre de tri", "l'ancienne Clinique", "l'ancien Collège", "les Entrepôts",
    "la Scierie", "la Cartonnerie", "les Hangars", "l'ancienne Gendarmerie", "l'ancien Hôtel",
)  # fmt: skip

# Names are read by everyone who may read the site, the address only with the exact location:
# a name never repeats the site's street.
LAND_NAME_PATTERNS: tuple[str, ...] = (
    "Bidonville de {place}",
    "Terrain de {place}",
    "Campement de {place}",
    "Cabanes de {place}",
    "Caravanes de {place}",
    "Lieu de vie de {place}",
)
BUILDING_NAME_PATTERNS: tuple[str, ...] = (
    "Squat de {place}",
    "Bâtiment de {place}",
    "Immeuble de {place}",
    "Occupation de {place}",
)
UNKNOWN_NAME_PATTERNS: tuple[str, ...] = ("Site de {place}", "Installation de {place}")

ACCESS_DETAILS: tuple[str, ...] = (
    "Entrée par le portail côté voie ferrée, laisser le véhicule sur le parking.",
    "Accès par le chemin de terre après le rond-point, impraticable par temps de pluie.",
    "Passer sous le pont puis longer le grillage sur 200 m.",
    "Entrée par l'arrière du bâtiment, porte de service.",
    "Se garer devant la déchetterie, le site est derrière la haie.",
    "Accès piéton uniquement par le sentier le long du canal.",
    "Demander la famille référente à l'entrée pour être accompagné.",
    "Portail cadenassé : prévenir la médiatrice avant le passage.",
    "Accès par la zone d'activité, deuxième impasse à droite.",
)

# Generic names of parcel owners (legal entities or anonymised private owners).
PUBLIC_OWNERS: tuple[str, ...] = (
    "Commune de {commune}", "Département", "État – domaine public", "Établissement public foncier",
    "Réseau ferré – domaine public", "Métropole", "Port autonome", "Bailleur social public",
    "Voies navigables – domaine public",
)  # fmt: skip
PRIVATE_OWNERS: tuple[str, ...] = (
    "SCI Les Tilleuls", "SCI du Canal", "SARL Immobilière du Sud", "Indivision privée",
    "Société foncière d'aménagement", "Propriétaire privé (particulier)", "SCI Horizon",
    "Promoteur immobilier", "Entreprise de travaux publics",
)  # fmt: skip

# Parts of invented association names.
ASSOCIATION_STEMS: tuple[str, ...] = (
    "Solidarités", "Passerelles", "Trait d'union", "Habitat solidaire", "Accueil et droits",
    "Rue et santé", "École pour tous", "Médiation Roms", "Collectif pour l'accès aux droits",
    "Entraide", "Insertion et logement", "Les Ponts", "Horizons", "Accompagner",
    "Santé sans frontières", "Voisins solidaires", "Ensemble", "Chemins d'insertion",
    "Amitiés tsiganes", "Scolarisation et citoyenneté", "Droit au logement", "Femmes relais",
)  # fmt: skip
NETWORK_MISSIONS: tuple[str, ...] = (
    "Médecins du Monde – mission {city}",
    "Secours populaire – fédération {of}",
    "Croix-Rouge française – unité locale de {city}",
    "Association Rom Europe – antenne {of}",
    "Emmaüs – communauté de {city}",
    "Fondation pour le logement – agence {of}",
)

COURT = "Tribunal judiciaire de {city}"
BAILIFFS: tuple[str, ...] = (
    "SCP Martin & Associés, commissaires de justice",
    "Étude Garnier-Roux, commissaires de justice",
    "SELARL Lex Exécution",
    "Office de commissaires de justice du Centre",
    "SCP Dubois-Fabre",
)
CENSUS_BY: tuple[str, ...] = (
    "DDETS {of}",
    "Préfecture {of}",
    "Association {stem}",
    "Maraude sociale {of}",
    "Centre communal d'action sociale de {city}",
)

CLOSING_CONTEXTS: dict[str, tuple[str, ...]] = {
    "resorbed": (
        "Résorption progressive après diagnostic social : familles orientées vers l'hébergement "
        "et le logement.",
        "Fin du site après relogement des dernières familles accompagnées.",
        "Site vidé dans le cadre du projet de résorption, terrain sécurisé ensuite.",
    ),
    # Read by everyone who may read the site: what became of the people, never the legal
    # procedures behind the closing (those are read with site.legal.read only).
    "closed_by_justice": (
        "Diagnostic social réalisé deux semaines avant la fermeture, familles orientées vers "
        "l'hébergement d'urgence.",
        "Fermeture du site : une partie des familles s'est réinstallée dans une commune voisine.",
    ),
    "closed_by_administration": (
        "Fermeture pour risque sanitaire, une proposition d'hébergement faite à chaque ménage.",
        "Fermeture après incendie, habitants orientés vers le 115 et les associations.",
    ),
    "closed_other": (
        "Départ spontané des habitants avant le début des travaux.",
        "Site abandonné après un incendie, habitants dispersés.",
    ),
    "unknown": ("Fermeture constatée lors d'une maraude, circonstances inconnues.",),
}

# Job titles, masculine and feminine.
ORG_JOB_TITLES: dict[str, tuple[tuple[str, str], ...]] = {
    "prefecture": (
        ("Chargé de mission résorption des bidonvilles",
         "Chargée de mission résorption des bidonvilles"),
        ("Sous-préfet chargé de la politique de la ville",
         "Sous-préfète chargée de la politique de la ville"),
        ("Directeur de cabinet adjoint", "Directrice de cabinet adjointe"),
        ("Chargé de mission cohésion sociale", "Chargée de mission cohésion sociale"),
    ),
    "ddets": (
        ("Chef du service hébergement-logement", "Cheffe du service hébergement-logement"),
        ("Chargé de mission bidonvilles", "Chargée de mission bidonvilles"),
        ("Référent accès au logement", "Référente accès au logement"),
        ("Inspecteur de l'action sanitaire et sociale",
         "Inspectrice de l'action sanitaire et sociale"),
    ),
    "police": (
        ("Commissaire divisionnaire", "Commissaire divisionnaire"),
        ("Officier de liaison", "Officière de liaison"),
        ("Chef de la sûreté urbaine", "Cheffe de la sûreté urbaine"),
    ),
    "education": (
        ("Conseiller technique CASNAV", "Conseillère technique CASNAV"),
        ("Inspecteur de l'Éducation nationale", "Inspectrice de l'Éducation nationale"),
        ("Chargé de la scolarisation des enfants allophones",
         "Chargée de la scolarisation des enfants allophones"),
    ),
    "health_agency": (
        ("Chargé de mission santé précarité", "Chargée de mission santé précarité"),
        ("Médecin de santé publique", "Médecin de santé publique"),
    ),
    "commune": (
        ("Directeur du CCAS", "Directrice du CCAS"),
        ("Chargé de mission habitat", "Chargée de mission habitat"),
        ("Adjoint aux solidarités", "Adjointe aux solidarités"),
        ("Responsable du service hygiène", "Responsable du service hygiène"),
    ),
    "epci": (
        ("Chargé de mission habitat indigne", "Chargée de mission habitat indigne"),
        ("Directeur de l'habitat", "Directrice de l'habitat"),
    ),
    "departement": (
        ("Responsable de l'aide sociale à l'enfance", "Responsable de l'aide sociale à l'enfance"),
        ("Conseiller en PMI", "Conseillère en PMI"),
    ),
    "region": (
        ("Chargé de mission cohésion territoriale", "Chargée de mission cohésion territoriale"),
    ),
    "association": (
        ("Médiateur sanitaire", "Médiatrice sanitaire"),
        ("Travailleur social", "Travailleuse sociale"),
        ("Coordinateur de projet", "Coordinatrice de projet"),
        ("Médiateur scolaire", "Médiatrice scolaire"),
        ("Chargé d'insertion professionnelle", "Chargée d'insertion professionnelle"),
        ("Directeur de l'association", "Directrice de l'association"),
        ("Éducateur spécialisé", "Éducatrice spécialisée"),
        ("Bénévole référent", "Bénévole référente"),
    ),
    "ministry": (
        ("Chef de bureau", "Cheffe de bureau"),
        ("Chargé de mission", "Chargée de mission"),
        ("Conseiller technique", "Conseillère technique"),
    ),
    "national_agency": (
        ("Chargé de programme", "Chargée de programme"),
        ("Responsable des partenariats", "Responsable des partenariats"),
    ),
    "national_delegation": (
        ("Chargé de mission résorption des bidonvilles",
         "Chargée de mission résorption des bidonvilles"),
        ("Chef du pôle résorption des bidonvilles", "Cheffe du pôle résorption des bidonvilles"),
        ("Analyste de données", "Analyste de données"),
    ),
    "research": (
        ("Chercheur en sociologie urbaine", "Chercheuse en sociologie urbaine"),
        ("Doctorant", "Doctorante"),
        ("Ingénieur d'études", "Ingénieure d'études"),
    ),
    "company": (
        ("Consultant en diagnostic social", "Consultante en diagnostic social"),
        ("Chef de projet", "Cheffe de projet"),
    ),
}  # fmt: skip

# Journal comments are read by everyone who may read the site or action (unless targeted):
# they talk about living conditions, people and the work done, never about legal procedures,
# owners or finances, which are read with their own capabilities.
SITE_COMMENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Passage de l'équipe de médiation ce matin : {n} enfants scolarisés, {m} en attente "
     "d'affectation.", ("scolarisation",)),
    ("Point d'eau hors service depuis {d} jours, demande d'intervention transmise à la "
     "commune.", ("eau",)),
    ("Départ de feu maîtrisé cette nuit, aucune victime. Diagnostic incendie à programmer.",
     ("incendie", "sécurité")),
    ("Réunion de suivi en préfecture : {n} ménages orientés vers le SIAO.", ("hébergement",
     "réunion")),
    ("Campagne de vaccination réalisée avec la PMI, {n} enfants vaccinés.", ("santé",)),
    ("Accumulation de déchets à l'entrée du site, benne demandée à la métropole.", ("déchets",)),
    ("Nouvelles familles arrivées depuis la semaine dernière (environ {n} personnes).",
     ("population",)),
    ("Coupure d'électricité depuis {d} jours, groupe électrogène en panne.", ("électricité",)),
    ("Permanence d'accès aux droits sur place : {m} dossiers de complémentaire santé déposés.",
     ("santé", "accès aux droits")),
    ("{n} adultes inscrits à France Travail, deux entrées en chantier d'insertion.",
     ("emploi",)),
    ("Diagnostic social terminé : {n} ménages rencontrés, rapport transmis à la DDETS.",
     ("diagnostic",)),
    ("Maraude de nuit : situation calme, rats signalés près des caravanes.", ("maraude",
     "santé")),
    ("Deux familles relogées en logement social ce mois-ci.", ("logement",)),
    ("Visite conjointe avec la mairie pour étudier l'installation de sanitaires.",
     ("réunion", "sanitaires")),
    ("Alerte : enfant malade sans couverture maladie, orientation vers la PASS.", ("santé",
     "urgence")),
    ("Proposition d'hébergement refusée par {n} ménages, motifs à documenter.",
     ("hébergement",)),
    ("Distribution de jerricans et de kits d'hygiène à {n} ménages.", ("eau", "hygiène")),
    ("Chantier de sécurisation électrique réalisé par l'association.", ("électricité",
     "sécurité")),
    ("Compte rendu du comité de pilotage départemental diffusé aux partenaires.",
     ("réunion",)),
    ("RAS lors du passage hebdomadaire.", ()),
    ("Transport scolaire mis en place pour {n} enfants à partir de lundi.",
     ("scolarisation",)),
    ("Domiciliation administrative obtenue pour {n} personnes.", ("accès aux droits",)),
)  # fmt: skip
ACTION_COMMENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Bilan du trimestre : {n} personnes accompagnées, {m} ménages sortis vers un logement.",
     ("bilan",)),
    ("Comité de suivi avec la DDETS, prochain point dans {d} jours.", ("réunion",)),
    ("Arrivée d'une médiatrice supplémentaire dans l'équipe.", ("équipe",)),
    ("{n} enfants inscrits à l'école depuis la rentrée, {m} en attente de transport.",
     ("scolarisation",)),
    ("Atelier collectif sur l'accès aux droits : {n} participants.", ("accès aux droits",)),
    ("Indicateurs de l'année saisis, à relire par le pilote de l'action.", ("indicateurs",)),
    ("{m} adultes entrés en formation qualifiante ce trimestre.", ("emploi",)),
    ("Visite des logements proposés avec {m} familles.", ("logement",)),
    ("Permanence santé assurée chaque semaine, {n} consultations ce mois-ci.", ("santé",)),
    ("RAS, suivi habituel des familles.", ()),
)  # fmt: skip

ACTION_NAMES: dict[str, tuple[str, ...]] = {
    "housing": (
        "Accompagnement vers le logement – {place}",
        "Résorption du site {site}",
        "Dispositif d'insertion par le logement {of}",
    ),
    "health": (
        "Médiation sanitaire – {place}",
        "Accès aux soins des familles des sites {of}",
    ),
    "schooling": (
        "Médiation scolaire – {place}",
        "Scolarisation des enfants des bidonvilles {of}",
    ),
    "employment": (
        "Insertion professionnelle – {place}",
        "Chantier d'insertion des habitants de {place}",
    ),
    "site_safety": (
        "Sécurisation et accès à l'eau – {site}",
        "Prévention incendie sur les sites {of}",
    ),
}
ACTION_GOALS: dict[str, str] = {
    "housing": "Sortir les ménages du bidonville vers un hébergement ou un logement durable.",
    "health": "Ouvrir les droits à la santé et assurer le suivi des femmes enceintes et des "
    "enfants.",
    "schooling": "Scolariser tous les enfants de 3 à 16 ans et suivre leur assiduité.",
    "employment": "Accompagner les adultes vers l'emploi ou la formation.",
    "site_safety": "Réduire les risques sur le site : eau, électricité, incendie, déchets.",
}
ACTION_PLACES: dict[str, tuple[str, ...]] = {
    "temporary_integration_space": (
        "Espace temporaire d'insertion, {street}, {city}",
        "Terrain aménagé de {city} (modulaires et sanitaires)",
    ),
    "housing": (
        "Logements en intermédiation locative à {city} et alentours",
        "Résidence sociale, {street}, {city}",
    ),
    "other": (
        "Permanence d'accès aux droits, {city}",
        "Accompagnement en diffus sur le département",
    ),
}
FINANCE_COMMENTS: dict[str, tuple[str, ...]] = {
    "state": ("BOP 177 – hébergement et insertion", "BOP 304 – inclusion sociale"),
    "dedicated_resorption_credit": (
        "Crédits nationaux de résorption des bidonvilles",
        "Enveloppe régionale résorption",
    ),
    "local_authority": ("Convention avec la commune", "Subvention du conseil départemental"),
    "european": ("FSE+ – volet inclusion", "FEDER – aménagement"),
    "private": ("Fondation d'entreprise", "Mécénat"),
    "other": ("Fonds propres de l'association",),
}
