// Property tests run with a fixed seed so the suite is deterministic (the same cases every run).
// Explore new cases with FC_SEED=<number> (or FC_SEED=random) and pin any failure as a regression test.
import fc from "fast-check";

const requested = process.env.FC_SEED;
if (requested !== "random") fc.configureGlobal({ seed: requested ? Number(requested) : 20261125 });
