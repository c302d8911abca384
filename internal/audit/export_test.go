package audit

// SealUpdatePostgres is the sealer's batch statement, for the plan test.
const SealUpdatePostgres = sealUpdatePostgres
