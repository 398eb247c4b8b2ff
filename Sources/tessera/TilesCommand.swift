import ArgumentParser

struct TilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiles",
        abstract: "Tile matrix set tools.",
        subcommands: []
    )
}
