// Hardhat looks for its config from the working directory upwards; the project
// runs everything from the repository root, so this forwards to contracts/.
module.exports = require('./contracts/hardhat.config.cjs');
