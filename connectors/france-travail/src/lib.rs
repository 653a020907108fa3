//! France Travail Offres d'emploi v2 connector for jobharvest.
