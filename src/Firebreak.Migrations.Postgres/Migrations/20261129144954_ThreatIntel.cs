using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Firebreak.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ThreatIntel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ThreatFeeds",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TenantId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Url = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    CollectionId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Auth = table.Column<int>(type: "integer", nullable: false),
                    Username = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ApiKeyHeader = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    ProtectedSecret = table.Column<string>(type: "character varying(16000)", maxLength: 16000, nullable: true),
                    PollMinutes = table.Column<int>(type: "integer", nullable: false),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false),
                    DefaultTlp = table.Column<int>(type: "integer", nullable: false),
                    Cursor = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    LastPolledAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastSuccessAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastStatus = table.Column<int>(type: "integer", nullable: false),
                    LastError = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    LastSummary = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    CreatedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ThreatFeeds", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "FeedIndicators",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TenantId = table.Column<Guid>(type: "uuid", nullable: false),
                    FeedId = table.Column<Guid>(type: "uuid", nullable: false),
                    Type = table.Column<int>(type: "integer", nullable: false),
                    Value = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    Tlp = table.Column<int>(type: "integer", nullable: false),
                    Labels = table.Column<string>(type: "character varying(5000)", maxLength: 5000, nullable: true),
                    Confidence = table.Column<int>(type: "integer", nullable: true),
                    ValidFrom = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ValidUntil = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Revoked = table.Column<bool>(type: "boolean", nullable: false),
                    SourceId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    FirstSeenAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeedIndicators", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FeedIndicators_ThreatFeeds_FeedId",
                        column: x => x.FeedId,
                        principalTable: "ThreatFeeds",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ThreatIntelMatches",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TenantId = table.Column<Guid>(type: "uuid", nullable: false),
                    MatchKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    FeedId = table.Column<Guid>(type: "uuid", nullable: false),
                    FeedIndicatorId = table.Column<Guid>(type: "uuid", nullable: false),
                    IndicatorType = table.Column<int>(type: "integer", nullable: false),
                    IndicatorValue = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    MatchedValue = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    Subject = table.Column<int>(type: "integer", nullable: false),
                    AlertId = table.Column<Guid>(type: "uuid", nullable: true),
                    IncidentId = table.Column<Guid>(type: "uuid", nullable: true),
                    EventId = table.Column<long>(type: "bigint", nullable: true),
                    EventCount = table.Column<int>(type: "integer", nullable: false),
                    RaisedAlertId = table.Column<Guid>(type: "uuid", nullable: true),
                    MatchedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ThreatIntelMatches", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ThreatIntelMatches_ThreatFeeds_FeedId",
                        column: x => x.FeedId,
                        principalTable: "ThreatFeeds",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_FeedIndicators_FeedId_Type_Value",
                table: "FeedIndicators",
                columns: new[] { "FeedId", "Type", "Value" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_FeedIndicators_TenantId_Type_Value",
                table: "FeedIndicators",
                columns: new[] { "TenantId", "Type", "Value" });

            migrationBuilder.CreateIndex(
                name: "IX_ThreatFeeds_TenantId_Name",
                table: "ThreatFeeds",
                columns: new[] { "TenantId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ThreatIntelMatches_FeedId",
                table: "ThreatIntelMatches",
                column: "FeedId");

            migrationBuilder.CreateIndex(
                name: "IX_ThreatIntelMatches_TenantId_MatchKey",
                table: "ThreatIntelMatches",
                columns: new[] { "TenantId", "MatchKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ThreatIntelMatches_TenantId_MatchedAt",
                table: "ThreatIntelMatches",
                columns: new[] { "TenantId", "MatchedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FeedIndicators");

            migrationBuilder.DropTable(
                name: "ThreatIntelMatches");

            migrationBuilder.DropTable(
                name: "ThreatFeeds");
        }
    }
}
