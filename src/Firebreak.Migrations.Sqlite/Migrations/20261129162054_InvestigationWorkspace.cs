using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Firebreak.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class InvestigationWorkspace : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Assets",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Pattern = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Classification = table.Column<int>(type: "INTEGER", nullable: false),
                    PersonalData = table.Column<bool>(type: "INTEGER", nullable: false),
                    Regulations = table.Column<string>(type: "TEXT", nullable: false),
                    Owner = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Assets", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DataLossExtents",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AssessedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AssessedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ResourceCount = table.Column<int>(type: "INTEGER", nullable: false),
                    PersonalData = table.Column<bool>(type: "INTEGER", nullable: false),
                    LowerBound = table.Column<bool>(type: "INTEGER", nullable: false),
                    EventsMatched = table.Column<long>(type: "INTEGER", nullable: false),
                    Statement = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    Result = table.Column<string>(type: "TEXT", nullable: false),
                    Clocks = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DataLossExtents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DataLossExtents_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Indicators",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Type = table.Column<int>(type: "INTEGER", nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    ValueHash = table.Column<string>(type: "TEXT", fixedLength: true, maxLength: 64, nullable: false),
                    Tlp = table.Column<int>(type: "INTEGER", nullable: false),
                    Pap = table.Column<int>(type: "INTEGER", nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    Tags = table.Column<string>(type: "TEXT", nullable: false),
                    Verdict = table.Column<int>(type: "INTEGER", nullable: false),
                    Curated = table.Column<bool>(type: "INTEGER", nullable: false),
                    AddedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    AddedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AlertSightings = table.Column<int>(type: "INTEGER", nullable: false),
                    AlertFirstSeen = table.Column<long>(type: "INTEGER", nullable: true),
                    AlertLastSeen = table.Column<long>(type: "INTEGER", nullable: true),
                    EventSightings = table.Column<long>(type: "INTEGER", nullable: false),
                    EventFirstSeen = table.Column<long>(type: "INTEGER", nullable: true),
                    EventLastSeen = table.Column<long>(type: "INTEGER", nullable: true),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Indicators", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Indicators_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ManagementPlaneCheckRuns",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Trigger = table.Column<int>(type: "INTEGER", nullable: false),
                    ImportId = table.Column<Guid>(type: "TEXT", nullable: true),
                    RunBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    RanAt = table.Column<long>(type: "INTEGER", nullable: false),
                    WindowFrom = table.Column<long>(type: "INTEGER", nullable: true),
                    WindowTo = table.Column<long>(type: "INTEGER", nullable: true),
                    EventsInWindow = table.Column<long>(type: "INTEGER", nullable: false),
                    Passed = table.Column<int>(type: "INTEGER", nullable: false),
                    Failed = table.Column<int>(type: "INTEGER", nullable: false),
                    Unknown = table.Column<int>(type: "INTEGER", nullable: false),
                    Items = table.Column<string>(type: "TEXT", nullable: false),
                    ReviewedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    ReviewedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ReviewNote = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ManagementPlaneCheckRuns", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ManagementPlaneCheckRuns_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ScopeMarks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    MarkedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    MarkedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UnmarkedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    UnmarkedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UnmarkReason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ScopeMarks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ScopeMarks_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ThreatFeeds",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    CollectionId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Auth = table.Column<int>(type: "INTEGER", nullable: false),
                    Username = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    ApiKeyHeader = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    ProtectedSecret = table.Column<string>(type: "TEXT", maxLength: 16000, nullable: true),
                    PollMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    DefaultTlp = table.Column<int>(type: "INTEGER", nullable: false),
                    Cursor = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    LastPolledAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastSuccessAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastStatus = table.Column<int>(type: "INTEGER", nullable: false),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    LastSummary = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ThreatFeeds", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "IndicatorEnrichments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IndicatorId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Enricher = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Succeeded = table.Column<bool>(type: "INTEGER", nullable: false),
                    Summary = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    Fields = table.Column<string>(type: "TEXT", nullable: false),
                    Error = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IndicatorEnrichments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_IndicatorEnrichments_Indicators_IndicatorId",
                        column: x => x.IndicatorId,
                        principalTable: "Indicators",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "FeedIndicators",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    FeedId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Type = table.Column<int>(type: "INTEGER", nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    Tlp = table.Column<int>(type: "INTEGER", nullable: false),
                    Labels = table.Column<string>(type: "TEXT", maxLength: 5000, nullable: true),
                    Confidence = table.Column<int>(type: "INTEGER", nullable: true),
                    ValidFrom = table.Column<long>(type: "INTEGER", nullable: true),
                    ValidUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    Revoked = table.Column<bool>(type: "INTEGER", nullable: false),
                    SourceId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    FirstSeenAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
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
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MatchKey = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    FeedId = table.Column<Guid>(type: "TEXT", nullable: false),
                    FeedIndicatorId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IndicatorType = table.Column<int>(type: "INTEGER", nullable: false),
                    IndicatorValue = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    MatchedValue = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    Subject = table.Column<int>(type: "INTEGER", nullable: false),
                    AlertId = table.Column<Guid>(type: "TEXT", nullable: true),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: true),
                    EventId = table.Column<long>(type: "INTEGER", nullable: true),
                    EventCount = table.Column<int>(type: "INTEGER", nullable: false),
                    RaisedAlertId = table.Column<Guid>(type: "TEXT", nullable: true),
                    MatchedAt = table.Column<long>(type: "INTEGER", nullable: false)
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
                name: "IX_IncidentEvents_IncidentId_Provider_LogSource_Account_Time",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "Provider", "LogSource", "Account", "Time" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_Usage",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "Provider", "Account", "Region", "Principal", "PrincipalType", "SessionIssuer", "AccessKeyId", "SourceIp", "UserAgent", "Time", "TenantId" });

            migrationBuilder.CreateIndex(
                name: "IX_Assets_TenantId_Pattern",
                table: "Assets",
                columns: new[] { "TenantId", "Pattern" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DataLossExtents_IncidentId_AssessedAt",
                table: "DataLossExtents",
                columns: new[] { "IncidentId", "AssessedAt" });

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
                name: "IX_IndicatorEnrichments_IndicatorId_Enricher",
                table: "IndicatorEnrichments",
                columns: new[] { "IndicatorId", "Enricher" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Indicators_IncidentId_Type_ValueHash",
                table: "Indicators",
                columns: new[] { "IncidentId", "Type", "ValueHash" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Indicators_TenantId_Type_ValueHash",
                table: "Indicators",
                columns: new[] { "TenantId", "Type", "ValueHash" });

            migrationBuilder.CreateIndex(
                name: "IX_ManagementPlaneCheckRuns_IncidentId_RanAt",
                table: "ManagementPlaneCheckRuns",
                columns: new[] { "IncidentId", "RanAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ScopeMarks_IncidentId_Kind_Value",
                table: "ScopeMarks",
                columns: new[] { "IncidentId", "Kind", "Value" });

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
                name: "Assets");

            migrationBuilder.DropTable(
                name: "DataLossExtents");

            migrationBuilder.DropTable(
                name: "FeedIndicators");

            migrationBuilder.DropTable(
                name: "IndicatorEnrichments");

            migrationBuilder.DropTable(
                name: "ManagementPlaneCheckRuns");

            migrationBuilder.DropTable(
                name: "ScopeMarks");

            migrationBuilder.DropTable(
                name: "ThreatIntelMatches");

            migrationBuilder.DropTable(
                name: "Indicators");

            migrationBuilder.DropTable(
                name: "ThreatFeeds");

            migrationBuilder.DropIndex(
                name: "IX_IncidentEvents_IncidentId_Provider_LogSource_Account_Time",
                table: "IncidentEvents");

            migrationBuilder.DropIndex(
                name: "IX_IncidentEvents_Usage",
                table: "IncidentEvents");
        }
    }
}
